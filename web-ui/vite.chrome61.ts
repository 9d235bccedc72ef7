import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';

/**
 * The build of a page for the township's old Android tablets (Chrome 61 WebView): the bundler lowers the syntax
 * (no `?.`/`??` left), everything goes in one entry chunk (Chrome 61 has no dynamic import()), no polyfills fetched
 * from anywhere, no web fonts. The box UI (web-ui/vite.config.ts) and the county hub page (hub/web/vite.config.mts)
 * both; `node web-ui/size-check.mjs [DIR]` checks the output afterwards. `root` and `outDir` are file URLs.
 */
export function chrome61Page(root: URL, outDir: URL): UserConfig {
  return {
    root: fileURLToPath(root),
    base: '/',
    publicDir: false,
    oxc: {
      jsx: { runtime: 'automatic', importSource: 'preact' },
    },
    build: {
      outDir: fileURLToPath(outDir),
      emptyOutDir: true,
      target: 'chrome61',
      cssTarget: 'chrome61',
      modulePreload: false,
      sourcemap: false,
      assetsInlineLimit: 0,
      reportCompressedSize: true,
      chunkSizeWarningLimit: 400,
      rolldownOptions: {
        output: {
          // One chunk: Chrome 61 can run <script type="module"> but not import().
          codeSplitting: false,
          entryFileNames: 'assets/[name]-[hash].js',
          assetFileNames: 'assets/[name]-[hash][extname]',
        },
      },
    },
  };
}
