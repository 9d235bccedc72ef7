import { defineConfig } from 'vite';
import { chrome61Page } from './vite.chrome61.ts';

/** The operators' UI, for the township's old tablets (vite.chrome61.ts): one chunk, Chrome 61, built into dist/web-ui. */
export default defineConfig(chrome61Page(new URL('.', import.meta.url), new URL('../dist/web-ui', import.meta.url)));
