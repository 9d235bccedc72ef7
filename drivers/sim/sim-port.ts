import { SerialPort } from 'serialport';
import { closeQuietly } from '../close-quietly.js';

/**
 * The serial side of a byte-level device simulator (LED board, I/O board, SMS modem): opens the simulator's end of a
 * pty and hands it the bytes. Tests unplug and re-plug these lines on purpose, so a port error is expected and only
 * swallowed here (without a listener it would crash the process); the simulator sees the line go by its close.
 */
export async function openSimPort(path: string, baudRate: number, onData: (port: SerialPort, chunk: Buffer) => void): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('data', (chunk: Buffer) => onData(port, chunk));
  port.on('error', () => undefined);
  return port;
}

/** Closes a simulator's port, if open; resolves after at most a second even if the close never calls back (a pty gone). */
export function closeSimPort(port: SerialPort | undefined): Promise<void> {
  return port?.isOpen === true ? closeQuietly(port) : Promise.resolve();
}
