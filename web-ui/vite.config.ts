import { defineConfig } from 'vite';
import { chrome61Page } from './vite.chrome61.ts';
import { tabletShell } from './vite.tablet.ts';

/**
 * The operators' UI, for the township's old tablets (vite.chrome61.ts): one chunk, Chrome 61, built into dist/web-ui,
 * with the early bootstrap request, the service worker and pre-compressed copies (vite.tablet.ts).
 */
const page = chrome61Page(new URL('.', import.meta.url), new URL('../dist/web-ui', import.meta.url));
export default defineConfig({ ...page, plugins: [...(page.plugins ?? []), tabletShell()] });
