import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The operators' UI. Target: the township's old Android tablets (Chrome 61 WebView): the bundler lowers the syntax
 * (no `?.`/`??` left), everything goes in one entry chunk (Chrome 61 has no dynamic import()), no polyfills fetched
 * from anywhere, no web fonts. `node web-ui/size-check.mjs` checks the output afterwards.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/web-ui', import.meta.url)),
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
});
