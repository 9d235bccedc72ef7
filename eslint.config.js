import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.js';

// ---- The layers (issue #11): `npm run lint` enforces them; test/lint/layers.test.ts proves each rule bites. ----
//
// Pure logic does no I/O of its own: it imports no module that does I/O, only other pure modules (so purity holds
// transitively), and is handed what it needs through its own small interfaces (a clock, a scheduler, a callback),
// never a database, a port or a socket. `import type` from anywhere is allowed: tsc erases it, it loads nothing.
// Whole folders where the folder is pure, files where it is mixed. A new pure file goes in this list.
const PURE = [
  'broadcast/library/**',
  'broadcast/media-quota/**',
  'broadcast/station/{missed-due,pick,playout-queue,ports,programme,programme-config,programme-schedule,station-view}.ts',
  'broadcast/recording/{types,ffmpeg-args,progress-parser,stall-watch,gap-book,recording-types}.ts',
  'node-daemon/recording/{config-schema,recording-record}.ts',
  'broadcast/recording/schedule/**',
  'node-daemon/recording-schedule/{config-schema,entry-checks}.ts',
  'node-daemon/backup/{backup-plan,config-schema}.ts',
  'drivers/modbus/{circuit-breaker,classify-error,exception-message,late-reply-guard,rtu-frame,rtu-transactor,transaction-queue,types}.ts',
  'drivers/io-board/{debounce,fenghuo-sysex,firmata-constants}.ts',
  'drivers/led/{bx-commands,bx-frame}.ts',
  'drivers/sms/{at-lines,at-responses,cms-errors,delivery-tracker,errors,gsm7,sms-modem,split-text,status-report,submit-pdu}.ts',
  'drivers/sms/sim/{reassembly,status-report-pdu}.ts',
  'drivers/audio/{civil-defence,decode-args,errors,siren-pattern}.ts',
  'drivers/camera/{errors,image-magic,snapshot-args}.ts',
  'node-daemon/camera/{config-schema,snapshot-plan}.ts',
  'node-daemon/sms/{config-schema,sms-plan,sms-types}.ts',
  'drivers/sms/transport.ts',
  'node-daemon/alarms/{rules,cap}/**',
  'node-daemon/alarms/types.ts',
  'node-daemon/auth/{common-passwords,password,policy,rate-limit,roles,tokens}.ts',
  'node-daemon/config/{alarm-check,cross-check,fields,format-problems,json-schema,listen,outputs-schema,problem,profile-check,schema,suggest,yaml-source,zod-problems}.ts',
  'node-daemon/core/types.ts',
  'node-daemon/dispatch/{alarm-programmes,desired,plan-schema,render}.ts',
  'node-daemon/sensing/{catalogue,decode,encode,profile-schema,profiles,read-plan,register-codec,schedule,units}.ts',
  'node-daemon/sim/{replay,series,start-spec}.ts',
  'node-daemon/storage/{quality-codes,retention,types}.ts',
  'node-daemon/sync/protocol/**',
  'node-daemon/sync/orders/{act-on-order,handler,orders-health}.ts',
  'hub/orders/{build-order,deliveries}.ts',
  'node-daemon/uplinks/sl651/frame.ts',
  'node-daemon/uplinks/sl651/codec/**',
  'node-daemon/uplinks/sl651/{report-plan,report-types,config-schema}.ts',
  'node-daemon/uplinks/sl651/{centre-sim-log,centre-sim-peek,centre-sim-commands,centre-sim-packets,centre-sim-usage}.ts',
  'node-daemon/sync/outbox/{backoff,batch-target,box-id,budget,health-schedule,lanes,plan,readings-form,records}.ts',
  'node-daemon/sync/push/{acks,compress,ingest-body,isolate,link-state,outcome,pace,resend,tls-pin,wire-bytes}.ts',
  'node-daemon/sync/content/plan.ts',
  'node-daemon/sync/backup-upload/plan.ts',
  'node-daemon/sync/{step-loop,wakeable-sleep}.ts',
  'node-daemon/sync/bulk/link-gate.ts',
  'node-daemon/sync/image-upload/plan.ts',
  'hub/backups/migration.ts',
  'hub/images/{migration,transport-limit}.ts',
  'hub/content/manifests.ts',
  'node-daemon/http/{alarm-schemas,api-prefix,api-registry,auth-names,contract,errors,schemas,time-param,validate-body,validate-query}.ts',
  'node-daemon/http/schemas/**',
  'node-daemon/http/routes/site-trend.ts',
  'test/helpers/seeded-random.ts',
  'hub/cap/**',
  'hub/readings-rollup.ts',
  'hub/store/unavailable.ts',
  'hub/pull/{pull-config,pull-error,pull-migration}.ts',
  'hub/recordings/recordings-migration.ts',
  'hub/http/openapi/registry.ts',
  'hub/accounts/{names,roles,schemas}.ts',
  'hub/web/src/resolution.tsx',
];

// Unit tests beside the code are pure too; tests with real peers, disks, sockets or processes live in test/<area>/.
const BESIDE_TESTS = '**/*.test.ts';
const AREA_TESTS = 'test/**/*.test.ts';

const LAYERS = [
  {
    from: ['drivers/**'],
    forbid: ['node-daemon/**', 'broadcast/**', 'hub/**', 'bench/**', 'test/**'],
    because: 'drivers are hardware without policy; the daemon uses them, never the reverse',
  },
  {
    from: ['broadcast/**'],
    forbid: ['node-daemon/**', 'hub/**', 'bench/**', 'test/**'],
    because: 'broadcast is a library the daemon uses, never the reverse',
  },
  {
    from: ['node-daemon/**'],
    except: [BESIDE_TESTS],
    forbid: ['bench/**', 'test/**'],
    because: 'the product does not ship bench or test code',
  },
  {
    from: ['node-daemon/**'],
    forbid: ['hub/**'],
    because: 'the box never depends on the county hub; the hub may reuse the box\'s modules (the sync protocol first)',
  },
  {
    from: ['hub/**'],
    except: [BESIDE_TESTS],
    forbid: ['bench/**', 'test/**'],
    because: 'the product does not ship bench or test code',
  },
  {
    from: ['bench/**'],
    forbid: ['test/**'],
    because: 'what bench and tests share lives in the product or in bench/ (tests may import bench/, not the reverse)',
  },
  {
    from: [BESIDE_TESTS],
    except: [AREA_TESTS, 'web-ui/**'],
    only: PURE,
    because: 'a test beside the code is pure; tests with real peers, disks, sockets or processes live in test/<area>/',
  },
  {
    from: PURE,
    only: PURE,
    because: 'pure logic imports only pure modules (see PURE in eslint.config.js)',
  },
  {
    from: ['web-ui/src/**'],
    forbid: ['node-daemon/**', 'drivers/**', 'broadcast/**', 'bench/**', 'test/**'],
    because: 'the UI runs in the browser: of the daemon it knows only the types of node-daemon/http/contract.ts (import type)',
  },
  {
    from: ['hub/web/src/**'],
    only: ['hub/web/src/**', 'web-ui/src/**'],
    because: 'the hub page runs in the browser: of the hub it knows only types (import type); it reuses the box UI\'s components',
  },
];

// The UI's one door into the daemon: the API contract's types. Nothing else of the daemon, and nothing of Node.
const UI_IMPORTS = {
  patterns: [
    {
      regex: '(^|/)node-daemon/(?!http/contract\\.js$)',
      message: 'The UI uses only the API contract: import type { … } from node-daemon/http/contract.js.',
    },
    { regex: '^node:', message: 'The UI runs in the browser: no Node built-ins.' },
  ],
};

// What pure modules and beside-the-code tests never load (besides impure repo files, which `layers/imports` checks).
const IO_IMPORTS = {
  patterns: [
    {
      regex: '^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|http2|tls|dns|os|worker_threads|module)$',
      allowTypeImports: true,
      message: 'Pure logic does no I/O (node:module too: createRequire loads anything past this rule). `import type` is fine.',
    },
    {
      regex: '^(better-sqlite3|serialport|@serialport/.+|modbus-serial(/.*)?|johnny-five|firmata-io|pino|@hono/node-server)$',
      allowTypeImports: true,
      message: 'Pure logic does no I/O: it is handed what it needs through its own interfaces. `import type` is fine.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-artifacts/**', 'test/lint/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    plugins: { layers },
    rules: { 'layers/imports': ['error', { layers: LAYERS }] },
  },
  {
    files: ['web-ui/src/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', UI_IMPORTS] },
  },
  {
    files: ['hub/web/src/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^node:', message: 'The hub page runs in the browser: no Node built-ins.' }] },
      ],
    },
  },
  {
    files: [...PURE, BESIDE_TESTS],
    ignores: [AREA_TESTS, 'web-ui/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', IO_IMPORTS],
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'Pure modules import statically, so the layer rules see what they load.' }],
    },
  },
);
