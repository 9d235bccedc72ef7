// The `layers/imports` rule: which repo paths a file may import, from a layer table in eslint.config.js. A relative
// specifier is resolved to its repo path (`.js` read as the `.ts` source) and checked against every layer the
// importing file belongs to. Package names are left to `no-restricted-imports`; type-only imports are erased by
// tsc and never checked.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** A glob as ESLint's `files` reads it, for the forms the table uses: `**`, `*`, `{a,b}`. */
function globToRegExp(glob) {
  const re = glob
    .replace(/[.+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]*)\}/g, (_, alts) => `(${alts.split(',').join('|')})`)
    .replace(/\*\*\/|\*\*|\*/g, (m) => (m === '**/' ? '(.*/)?' : m === '**' ? '.*' : '[^/]*'));
  return new RegExp(`^${re}$`);
}

const matcher = (globs = []) => {
  const res = globs.map(globToRegExp);
  return (p) => res.some((re) => re.test(p));
};

const isTypeOnly = (node) =>
  node.importKind === 'type' ||
  node.exportKind === 'type' ||
  (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));

export default {
  rules: {
    imports: {
      meta: {
        type: 'problem',
        docs: { description: 'Keep the layers: a file imports only the repo paths its layers allow' },
        schema: [
          {
            type: 'object',
            properties: {
              layers: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    /** Files in the layer (globs from the repo root) ... */
                    from: { type: 'array', items: { type: 'string' } },
                    /** ... minus these. */
                    except: { type: 'array', items: { type: 'string' } },
                    /** They never import these ... */
                    forbid: { type: 'array', items: { type: 'string' } },
                    /** ... and, when given, import only these. */
                    only: { type: 'array', items: { type: 'string' } },
                    because: { type: 'string' },
                  },
                  required: ['from', 'because'],
                  additionalProperties: false,
                },
              },
            },
            required: ['layers'],
            additionalProperties: false,
          },
        ],
        messages: {
          forbidden: "{{file}} may not import {{target}} ('{{source}}'): {{because}}",
          notAllowed: "{{file}} may import only pure modules, and {{target}} ('{{source}}') is not one: {{because}}",
        },
      },
      create(context) {
        const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
        const layers = context.options[0].layers
          .map((l) => ({ ...l, inFrom: matcher(l.from), inExcept: matcher(l.except), inForbid: matcher(l.forbid), inOnly: l.only && matcher(l.only) }))
          .filter((l) => l.inFrom(file) && !l.inExcept(file));
        if (layers.length === 0 || file.startsWith('..')) return {};

        function check(node, source) {
          if (typeof source?.value !== 'string' || !source.value.startsWith('.')) return;
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), source.value)).replace(/\.js$/, '.ts');
          if (target.startsWith('..')) return;
          for (const l of layers) {
            const messageId = l.inForbid(target) ? 'forbidden' : l.inOnly && !l.inOnly(target) ? 'notAllowed' : undefined;
            if (messageId) {
              context.report({ node: source, messageId, data: { file, target, source: source.value, because: l.because } });
              return; // one report per import: the first layer it breaks
            }
          }
        }

        return {
          ImportDeclaration: (node) => isTypeOnly(node) || check(node, node.source),
          ExportNamedDeclaration: (node) => isTypeOnly(node) || check(node, node.source),
          ExportAllDeclaration: (node) => isTypeOnly(node) || check(node, node.source),
          ImportExpression: (node) => check(node, node.source),
        };
      },
    },
  },
};
