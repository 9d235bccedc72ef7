import type { SerialPort } from 'serialport';

/**
 * Closes a serial port whose line may be gone: closing a hung-up tty can fail or never call back; either way the port
 * is done with, so this resolves at the callback or after a second, never rejects. Drivers and simulators alike.
 */
export function closeQuietly(port: SerialPort): Promise<void> {
  return new Promise<void>((resolve) => {
    const guard = setTimeout(resolve, 1_000);
    port.close(() => {
      clearTimeout(guard);
      resolve();
    });
  });
}
