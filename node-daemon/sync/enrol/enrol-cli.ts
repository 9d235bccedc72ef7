import { parseArgs } from 'node:util';
import type { CliIo } from '../../core/cli-io.js';
import { KeyFormatError } from '../protocol/index.js';
import { enrolBox, EnrolError } from './enrol.js';


export const ENROLL_USAGE = `fenghuo enroll --hub URL --code CODE [--box ID] [--pin sha256/…] [--data DIR] [--force]
    Enrol this box with the county hub: make its Ed25519 key, send the one-time code from
    \`fenghuo hub enrol-code\`, and keep the box key, the county's public key and the enrolment under DIR/sync/.
      --hub URL    the hub's address, e.g. http://hub.example:8470
      --code CODE  the one-time code
      --box ID     this box's id at the hub (default: the id the code was made for)
      --pin PIN    https hub: the pin of its certificate key as the county gives it (sha256/ and 44 base64
                   characters); needed when no certificate authority vouches for the hub (a self-signed
                   certificate). The pin is kept, and every later request refuses any other key.
      --data DIR   the box's data directory (default ./data)
      --force      enrol again, replacing an existing enrolment`;

/** `fenghuo enroll …`: resolves to the exit code (0 enrolled, 1 refused or unreachable, 2 bad command line or already enrolled). */
export async function enrollCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        hub: { type: 'string' },
        code: { type: 'string' },
        box: { type: 'string' },
        pin: { type: 'string' },
        data: { type: 'string', default: './data' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    return usage(io, err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) {
    io.out(ENROLL_USAGE);
    return 0;
  }
  if (values.hub === undefined || values.hub === '') return usage(io, 'enroll needs --hub URL');
  if (values.code === undefined || values.code === '') return usage(io, 'enroll needs --code CODE');
  if (values.data === '') return usage(io, '--data needs a directory');
  try {
    const done = await enrolBox({
      hubUrl: values.hub,
      code: values.code,
      dataDir: values.data ?? './data',
      ...(values.box === undefined ? {} : { boxId: values.box }),
      ...(values.force === true ? { force: true } : {}),
      ...(values.pin === undefined ? {} : { pin: values.pin }),
    });
    const { record } = done;
    io.out(`enrolled: box ${record.boxId} at ${record.hub}`);
    io.out(`box key fingerprint: ${done.boxKeyFingerprint}`);
    io.out(`county key: ${record.countyKeyId} (fingerprint ${done.countyKeyFingerprint})`);
    if (record.tlsPin !== undefined) {
      io.out(`hub certificate key pinned: ${record.tlsPin} (${done.pinnedBy === 'pin' ? 'the --pin given' : 'vouched for by a certificate authority'})`);
    }
    io.out(`wrote ${done.files.join(', ')}`);
    if (Math.abs(done.clockOffsetMs) > 60_000) {
      const s = Math.round(Math.abs(done.clockOffsetMs) / 1000);
      io.err(`fenghuo enroll: note: this box's clock is ${s} s ${done.clockOffsetMs > 0 ? 'behind' : 'ahead of'} the hub's; sync corrects for it`);
    }
    return 0;
  } catch (err) {
    if (err instanceof EnrolError) {
      io.err(`fenghuo enroll: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof KeyFormatError) {
      io.err(`fenghuo enroll: the hub sent a bad county key: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`fenghuo enroll: ${message}`);
  io.err('');
  io.err(ENROLL_USAGE);
  return 2;
}
