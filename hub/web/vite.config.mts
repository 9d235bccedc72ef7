import { defineConfig } from 'vite';
import { chrome61Page } from '../../web-ui/vite.chrome61.ts';

/**
 * The county's hub page: the box UI's stack and targets (web-ui/vite.chrome61.ts): preact, one chunk, Chrome 61,
 * nothing fetched from anywhere. Built into dist/hub-web, which the hub serves at `/`.
 * (`.mts` and `.tsx` only in hub/web: the product's tsconfig and test/helpers/dist-build.ts take hub/**\/*.ts as
 * Node code.)
 */
export default defineConfig(chrome61Page(new URL('.', import.meta.url), new URL('../../dist/hub-web', import.meta.url)));
