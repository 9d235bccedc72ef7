#!/usr/bin/env node
// Makes sure the Debian packages the tests talk to are present: the real Modbus slave (pymodbus, run by Debian's
// own python3), socat for serial pty pairs, the audio tools (espeak-ng, sox, ffmpeg, aplay), and for the browser tests
// Debian's chromium (driven by playwright-core; no browser is ever downloaded) with the Noto CJK fonts so Chinese
// renders in the screenshots. For the county-sync tests: PostgreSQL (the hub's database, a throwaway cluster per test
// file, bench/support/postgres.ts) and iproute2 (ip netns, veth and tc tbf for the slow link, test/rigs/netns-link.ts).
// For the recorder's RTSP source: GStreamer's RTSP server through python3-gi. For the I/O board's firmware: gcc-avr,
// avr-libc, and simavr's library for the emulator harness. For the clock-jump rig: libfaketime (moves the daemon's
// wall clock while its monotonic clock runs on).
// As root it installs them; otherwise it prints the exact command.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { aptGet } from './apt.mjs';

const PACKAGES = ['python3-pymodbus', 'python3-serial', 'socat', 'espeak-ng', 'sox', 'ffmpeg', 'alsa-utils', 'chromium', 'fonts-noto-cjk', 'postgresql', 'iproute2', 'libxml2-utils', 'python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-good', 'make', 'gcc', 'gcc-avr', 'avr-libc', 'libsimavr-dev', 'libfaketime'];
/** The command each package provides, to tell whether it is installed. */
const COMMANDS = {
  socat: ['socat', '-V'],
  'espeak-ng': ['espeak-ng', '--version'],
  sox: ['sox', '--version'],
  ffmpeg: ['ffmpeg', '-version'],
  'alsa-utils': ['aplay', '--version'],
  chromium: ['/usr/bin/chromium', '--version'],
  iproute2: ['tc', '-V'],
  // The I/O co-processor's firmware (firmware/) is built with avr-gcc and run under simavr by a harness built with gcc.
  make: ['make', '--version'],
  gcc: ['gcc', '--version'],
  'gcc-avr': ['avr-gcc', '--version'],
  // xmllint: the hub's CAP feed test validates against the OASIS CAP 1.2 schema with it.
  'libxml2-utils': ['xmllint', '--version'],
  // postgresql: checked with postgresBinary(), found afresh on each check (its path names the major version).
};

/** The server binary of the newest PostgreSQL Debian installed (not on PATH: /usr/lib/postgresql/<major>/bin). */
function postgresBinary() {
  let majors = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not installed
  }
  return majors.length > 0 ? `/usr/lib/postgresql/${majors[0]}/bin/postgres` : '/usr/lib/postgresql/<none>/bin/postgres';
}

function present() {
  const missing = [];
  const py = spawnSync('/usr/bin/python3', ['-c', 'import pymodbus, serial'], { stdio: 'ignore' });
  if (py.status !== 0) missing.push('python3-pymodbus', 'python3-serial');
  // The recorder's RTSP test serves the stream with GStreamer's RTSP server (test/recording/rtsp-server.py).
  const rtsp = spawnSync('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('rtpmp2tpay')"], { stdio: 'ignore' });
  if (rtsp.status !== 0) missing.push('python3-gi', 'gir1.2-gst-rtsp-server-1.0', 'gstreamer1.0-plugins-good');
  for (const [pkg, [cmd, ...args]] of Object.entries({ ...COMMANDS, postgresql: [postgresBinary(), '--version'] })) {
    if (spawnSync(cmd, args, { stdio: 'ignore' }).status !== 0) missing.push(pkg);
  }
  // Packages with no command of their own: ask dpkg.
  for (const pkg of ['avr-libc', 'libsimavr-dev', 'libfaketime']) {
    const q = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    if (q.status !== 0 || !q.stdout.includes('install ok installed')) missing.push(pkg);
  }
  const fonts = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'fonts-noto-cjk'], { encoding: 'utf8' });
  if (fonts.status !== 0 || !fonts.stdout.includes('install ok installed')) missing.push('fonts-noto-cjk');
  return missing;
}

let missing = present();
if (missing.length === 0) process.exit(0);

const line = `apt-get install -y ${PACKAGES.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`fenghuo tests need Debian packages that are missing (${missing.join(', ')}). Run as root:\n  apt-get update && ${line}`);
  process.exit(1);
}
console.error(`installing test dependencies: ${PACKAGES.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  await aptGet(['update', '-qq'], { env });
  await aptGet(['install', '-y', '-qq', ...PACKAGES], { env });
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\ninstalling failed; run by hand:\n  apt-get update && ${line}`);
  process.exit(1);
}
missing = present();
if (missing.length > 0) {
  console.error(`still missing after install: ${missing.join(', ')}`);
  process.exit(1);
}
