import { LISTEN_EXPECTED, parseListen, type ListenAddress } from '../config/listen.js';

export type { ListenAddress };

/**
 * Parses `HOST:PORT` (`127.0.0.1:8080`, `[::1]:8080`, `localhost:0`) as the config does, but also accepts port 0
 * (any free port), which tests and tools need and the config rightly refuses. Throws on anything else.
 */
export function parseBindAddress(text: string): ListenAddress {
  const anyPort = /:0+$/.test(text);
  // The config's parser checks the host; it only objects to port 0, so ask it about a valid stand-in port.
  const parsed = parseListen(anyPort ? text.replace(/:0+$/, ':1') : text);
  if (!parsed.ok) throw new Error(`fenghuo: cannot listen on "${text}": ${parsed.reason}; expected ${LISTEN_EXPECTED}`);
  return anyPort ? { host: parsed.address.host, port: 0 } : parsed.address;
}

/** `http://host:port/`, with an IPv6 host in brackets. */
export function httpUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
