/**
 * The alarm beep: WebAudio oscillator bursts while an alarm is active and unacknowledged, unless muted. Browsers
 * start an AudioContext suspended until the user touches the page, so the first touch resumes it.
 */
type Ctx = AudioContext;

interface WindowWithWebkitAudio {
  webkitAudioContext?: { new (): AudioContext };
  AudioContext?: { new (): AudioContext };
}

let ctx: Ctx | undefined;
let timer: number | undefined;
const listeners: (() => void)[] = [];

function context(): Ctx | undefined {
  if (ctx !== undefined) return ctx;
  const w = window as unknown as WindowWithWebkitAudio;
  const Ctor = w.AudioContext !== undefined ? w.AudioContext : w.webkitAudioContext;
  if (Ctor === undefined) return undefined;
  try {
    ctx = new Ctor();
  } catch {
    return undefined;
  }
  return ctx;
}

function notify(): void {
  for (const l of listeners) l();
}

/** True when the browser holds the sound back until the user touches the page. */
export function soundBlocked(): boolean {
  return timer !== undefined && ctx !== undefined && ctx.state === 'suspended';
}

export function onSoundChange(listener: () => void): void {
  listeners.push(listener);
}

function unlock(): void {
  const c = context();
  if (c !== undefined && c.state === 'suspended') {
    c.resume().then(notify, notify);
  }
}
document.addEventListener('pointerdown', unlock, true);
document.addEventListener('touchstart', unlock, true);
document.addEventListener('keydown', unlock, true);

function burst(): void {
  const c = context();
  if (c === undefined || c.state !== 'running') return;
  const now = c.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'square';
    osc.frequency.value = i % 2 === 0 ? 880 : 660;
    const start = now + i * 0.3;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
    osc.connect(gain);
    gain.connect(c.destination);
    osc.start(start);
    osc.stop(start + 0.27);
  }
}

/** Beeps every 2 s while `on`; idempotent. Muting is the caller's business (it passes false). */
export function setAlarmSound(on: boolean): void {
  if (on && timer === undefined) {
    const c = context();
    if (c !== undefined && c.state === 'suspended') c.resume().then(notify, notify);
    burst();
    timer = window.setInterval(burst, 2000);
    notify();
  } else if (!on && timer !== undefined) {
    window.clearInterval(timer);
    timer = undefined;
    notify();
  }
}

