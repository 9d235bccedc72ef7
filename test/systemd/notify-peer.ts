import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../node-daemon/core/paths.js';

/** One datagram the peer received on the notify socket. */
export interface NotifyMessage {
  /** Epoch ms at receipt. */
  readonly t: number;
  readonly fields: readonly string[];
  /** The sender's PID from SCM_CREDENTIALS. */
  readonly pid: number | null;
  /** File descriptors passed with it (BARRIER=1 passes one). */
  readonly fds: number;
}

export interface NotifyPeer {
  readonly socket: string;
  readonly messages: readonly NotifyMessage[];
  /** Messages that carry `field` (e.g. 'READY=1'). */
  with(field: string): NotifyMessage[];
  stop(): Promise<void>;
}

export const PEER_PYTHON = '/usr/bin/python3';

/** Why the sd_notify tests cannot run here, or undefined. */
export function notifyPeerMissing(): string | undefined {
  if (!existsSync(PEER_PYTHON)) return `${PEER_PYTHON} is missing (apt-get install python3)`;
  if (!existsSync('/usr/bin/systemd-notify') && !existsSync('/bin/systemd-notify')) return 'systemd-notify is missing (apt-get install systemd)';
  return undefined;
}

/** Starts test/systemd/notify_peer.py bound at `socket` and resolves once it listens. */
export async function startNotifyPeer(socket: string): Promise<NotifyPeer> {
  const child = spawn(PEER_PYTHON, [join(packageRoot(), 'test', 'systemd', 'notify_peer.py'), socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: NotifyMessage[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY') resolve();
      else messages.push(JSON.parse(line) as NotifyMessage);
    });
    child.once('exit', (code) => reject(new Error(`notify peer exited ${code}: ${stderr}`)));
  });
  await ready;
  return {
    socket,
    messages,
    with: (field) => messages.filter((m) => m.fields.includes(field)),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
