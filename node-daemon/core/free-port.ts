import { createServer } from 'node:net';

/**
 * A TCP port on the host that is free right now. Needed where a server library cannot report the port it bound
 * (modbus-serial's ServerTCP treats port 0 as "use 502").
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const addr = probe.address();
      probe.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
