import { resolve, join } from 'node:path';
import { FirmataSimulator } from '../../drivers/io-board/sim/firmata-simulator.js';
import { BxSimulator, type BxSimulatorEvent } from '../../drivers/led/sim/bx-simulator.js';
import type { Logger } from '../core/log.js';
import { createPtyPair, type PtyBridgeKind, type PtyPair } from './pty-pair.js';

/**
 * The embedded demo's outputs: a simulated I/O board (StandardFirmata, relays for amplifier, siren and strobe) and a
 * simulated BX LED text board, each on the far end of a pty pair, plus the file the demo's audio goes to. The daemon
 * drives them through its real drivers (JohnnyFiveBoard on `ioBoardPath`, BxBoard on `ledBoardPath`, the audio
 * player's `file:` sink on `audioFile`); whatever they do shows here as one log line per change, so a person
 * watching `npm start` sees the alarm reach the outputs. No alarm policy here: only what the boards would show.
 */

export interface DemoRelayPins {
  readonly amplifier: number;
  readonly siren: number;
  readonly strobe: number;
}

/** The same pins the I/O board tests use; digital pins of an Uno, none of them serial or PWM-only. */
export const DEMO_RELAY_PINS: DemoRelayPins = { amplifier: 7, siren: 8, strobe: 9 };
/** StandardFirmata's default. */
export const DEMO_IO_BAUD = 57_600;
export const DEMO_LED_BAUD = 9_600;
/** A common single-colour BX-5K module size. */
export const DEMO_LED_SCREEN = { width: 128, height: 32 } as const;

export interface DemoOutputsOptions {
  /** Directory of the pty symlinks and the audio file (e.g. `<data>/demo`); created if missing. */
  readonly dir: string;
  readonly log: Logger;
  /** Which pty bridge to use; default 'auto' (socat if on PATH, else the Python bridge). */
  readonly via?: 'auto' | PtyBridgeKind;
}

export interface DemoOutputsSnapshot {
  /** Names of the relays that are on (pin numbers as `pinN` for an output that is not one of relayPins). */
  readonly relaysOn: string[];
  /** What the LED board shows, areas in order, one line each; undefined when it is blank. */
  readonly ledText?: string;
}

export interface DemoOutputs {
  /** Device path for the daemon's JohnnyFiveBoard (at DEMO_IO_BAUD). */
  readonly ioBoardPath: string;
  /** Device path for the daemon's BxBoard (at DEMO_LED_BAUD, screen DEMO_LED_SCREEN). */
  readonly ledBoardPath: string;
  /** Absolute path for the audio player's file sink (`file:${audioFile}`). */
  readonly audioFile: string;
  readonly relayPins: DemoRelayPins;
  readonly ioBaudRate: number;
  readonly ledBaudRate: number;
  readonly ledScreen: { readonly width: number; readonly height: number };
  /** How the pty pairs were made. */
  readonly via: PtyBridgeKind;
  snapshot(): DemoOutputsSnapshot;
  /** Closes the simulators and the pty pairs. Stop the daemon's drivers first (else they see their ports vanish). */
  stop(): Promise<void>;
}

/**
 * Starts the simulated outputs. Rejects with a PtyPairError when no pty bridge can be made (code 'no_tool':
 * "neither socat nor python3 found: the demo's outputs are off"); nothing is left running then.
 */
export async function startDemoOutputs(opts: DemoOutputsOptions): Promise<DemoOutputs> {
  const dir = resolve(opts.dir);
  const { log } = opts;
  const relayPins = DEMO_RELAY_PINS;
  const pinNames = new Map<number, string>(Object.entries(relayPins).map(([name, pin]) => [pin, name]));
  const nameOf = (pin: number): string => pinNames.get(pin) ?? `pin${pin}`;

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn({ event: 'demo.outputs_stop_failed', err: e instanceof Error ? e.message : String(e) }, 'demo outputs: stop step failed');
      }
    }
  };

  try {
    const pair = async (name: string): Promise<PtyPair> => {
      const p = await createPtyPair({ dir, names: [`${name}-a`, `${name}-b`], via: opts.via ?? 'auto', log });
      cleanups.push(() => p.close());
      return p;
    };
    const ioPair = await pair('io');
    const ledPair = await pair('led');

    const io = await FirmataSimulator.open({ path: ioPair.b, baudRate: DEMO_IO_BAUD });
    cleanups.push(() => io.close());
    const offRelays = io.onRelays((on) => {
      const names = on.map(nameOf);
      log.info(
        { event: 'demo.relays', on: names, pins: [...on] },
        names.length ? `demo I/O board: relays on: ${names.join(', ')}` : 'demo I/O board: all relays off',
      );
    });
    cleanups.push(async () => {
      offRelays();
    });

    const led = await BxSimulator.open({ path: ledPair.b, baudRate: DEMO_LED_BAUD });
    cleanups.push(() => led.close());
    const lastText = new Map<number, string>();
    const offLed = led.onEvent((ev: BxSimulatorEvent) => {
      if (ev.kind === 'text') {
        const { areaId, text } = ev.shown;
        if (lastText.get(areaId) === text) return; // a refresh of what is already up
        lastText.set(areaId, text);
        log.info({ event: 'demo.led', area: areaId, text }, `demo LED board shows: ${text}`);
      } else if (ev.kind === 'clear') {
        if (lastText.size === 0) return;
        lastText.clear();
        log.info({ event: 'demo.led', text: '', cleared: true }, 'demo LED board cleared');
      } else {
        log.warn({ event: 'demo.led_refused', cmdGroup: ev.cmdGroup, cmd: ev.cmd, reason: ev.reason }, `demo LED board refused a command: ${ev.reason}`);
      }
    });
    cleanups.push(async () => {
      offLed();
    });

    const outputs: DemoOutputs = {
      ioBoardPath: ioPair.a,
      ledBoardPath: ledPair.a,
      audioFile: join(dir, 'audio.wav'),
      relayPins,
      ioBaudRate: DEMO_IO_BAUD,
      ledBaudRate: DEMO_LED_BAUD,
      ledScreen: DEMO_LED_SCREEN,
      via: ioPair.via,
      snapshot: () => {
        const shown = [...led.display().values()].sort((x, y) => x.areaId - y.areaId).map((s) => s.text);
        return { relaysOn: io.relaysOn().map(nameOf), ...(shown.length ? { ledText: shown.join('\n') } : {}) };
      },
      stop: stopAll,
    };
    log.info(
      { event: 'demo.outputs', via: outputs.via, ioBoardPath: outputs.ioBoardPath, ledBoardPath: outputs.ledBoardPath, audioFile: outputs.audioFile, relayPins },
      `demo outputs: I/O board ${outputs.ioBoardPath}, LED board ${outputs.ledBoardPath}, audio ${outputs.audioFile} (${outputs.via})`,
    );
    return outputs;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
