import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { health, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const MiB = 1024 * 1024;

describe('the disk quota measures the recordings where recording.dir puts them', () => {
  const tmp = tempDir('fenghuo-media-dir-');
  let daemon: DaemonProcess | undefined;

  afterAll(async () => {
    await daemon?.sigterm();
    tmp.cleanup();
  });

  it('counts a recording folder outside the data folder, and not a stray <data>/recordings', async () => {
    await ensureDistBuilt();
    const data = join(tmp.dir, 'data');
    const elsewhere = join(tmp.dir, 'usb-disk', 'recordings');
    // A recording's folder on the other disk (3 MiB), and a leftover folder under the data folder (1 MiB).
    mkdirSync(join(elsewhere, 'now-sat-1'), { recursive: true });
    writeFileSync(join(elsewhere, 'now-sat-1', 'seg-00001.ts'), Buffer.alloc(3 * MiB, 0x47));
    mkdirSync(join(data, 'recordings', 'old'), { recursive: true });
    writeFileSync(join(data, 'recordings', 'old', 'seg-00001.ts'), Buffer.alloc(MiB, 0x47));
    const configFile = writeConfig(
      tmp.dir,
      [
        'recording:',
        `  dir: ${JSON.stringify(elsewhere)}`,
        '  channels:',
        '    - { id: sat, name: "CCTV-17", source: { kind: udp, url: "udp://127.0.0.1:1234" } }',
        'media: { checkIntervalMs: 200 }',
        '',
      ].join('\n'),
    );
    daemon = await startDaemon({ configFile, dataDir: data });
    const d = daemon;
    let bytes: number | undefined;
    await waitUntil(
      async () => {
        bytes = (await health(d)).media?.recordingsBytes;
        return bytes !== undefined && bytes > 0;
      },
      15_000,
      () => `media.recordingsBytes measured: ${String(bytes)}; ${d.diagnostics()}`,
    );
    expect(bytes).toBeGreaterThanOrEqual(3 * MiB);
    expect(bytes).toBeLessThan(4 * MiB);
  }, 60_000);
});
