import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The county's hub page: the box UI's stack and targets (web-ui/vite.config.ts): preact, one chunk, Chrome 61,
 * nothing fetched from anywhere. Built into dist/hub-web, which the hub serves at `/`.
 * (`.mts` and `.tsx` only in hub/web: the product's tsconfig and test/helpers/dist-build.ts take hub/**\/*.ts as
 * Node code.)
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: fileURLToPath(new URL('../../dist/hub-web', import.meta.url)),
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
        codeSplitting: false,
        entryFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
