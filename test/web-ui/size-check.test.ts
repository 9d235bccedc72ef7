import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { checkDist, chrome61Problems, DEFAULT_DIR, LIMIT_GZ_BYTES } from '../../web-ui/size-check.mjs';

interface Result {
  files: { file: string; bytes: number; gzBytes: number }[];
  totalGz: number;
  problems: string[];
}

describe('web UI build (dist/web-ui, made by npm run build)', () => {
  it('exists: npm run build builds the UI', () => {
    expect(existsSync(`${DEFAULT_DIR as string}/index.html`)).toBe(true);
  });

  it('loads under 300 KB gzipped in one file, Chrome 61 syntax (inline scripts too), hashed assets', () => {
    const result = checkDist() as Result;
    expect(result.problems).toEqual([]);
    expect(result.totalGz).toBeLessThan(LIMIT_GZ_BYTES as number);
    // The first screen is one response: the boot script and the main bundle inside index.html (web-ui/vite.tablet.ts).
    expect(result.files.map((f) => f.file)).toEqual(['index.html']);
    expect((result as Result & { inline: { file: string }[] }).inline.map((f) => f.file)).toEqual([expect.stringMatching(/<script> #1$/), expect.stringMatching(/<script type=module> #2$/)]);
  });
});

describe('chrome61Problems', () => {
  const check = chrome61Problems as (src: string) => string[];
  it.each([
    ['optional chaining', 'export const a = x?.y;'],
    ['nullish coalescing', 'export const a = x ?? 1;'],
    ['optional catch binding', 'try { f(); } catch { g(); }'],
    ['class fields', 'export class A { x = 1; }'],
    ['for await', 'async function f(xs) { for await (const x of xs) g(x); }'],
    ['dynamic import', 'import("./x.js");'],
    ['import.meta', 'console.log(import.meta.url);'],
    ['regex lookbehind', 'export const r = /(?<=a)b/;'],
    ['regex named group', 'export const r = /(?<year>\\d+)/;'],
    ['regex dotAll', 'export const r = /a.b/s;'],
  ])('finds %s', (_name, src) => {
    expect(check(src).length).toBeGreaterThan(0);
  });
  it('accepts ES2017 with object spread (Chrome 60)', () => {
    expect(check('export async function f(o) { const { a, ...rest } = o; return { ...rest, b: await a }; }')).toEqual([]);
  });
});
