/** A parsed `HOST:PORT` listen address. IPv6 hosts are written in brackets (`[::1]:8080`) and returned without. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type ListenParse = { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly reason: string };

export const LISTEN_EXPECTED = 'HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Parses `HOST:PORT`; port 0 is refused because an appliance must listen where the operators expect it. */
export function parseListen(text: string): ListenParse {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
    if (!IPV6.test(host) || !host.includes(':')) return { ok: false, reason: `"[${host}]" is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { ok: false, reason: 'the port is missing' };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host === '') return { ok: false, reason: 'the host is missing' };
    if (host.includes(':')) return { ok: false, reason: 'an IPv6 host must be written in brackets, e.g. [::1]:8080' };
    if (IPV4.test(host)) {
      if (host.split('.').some((octet) => Number(octet) > 255)) return { ok: false, reason: `"${host}" is not an IPv4 address` };
    } else if (!HOSTNAME.test(host)) {
      return { ok: false, reason: `"${host}" is not a host name or IP address` };
    }
  }
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: portText === '' ? 'the port is missing' : `port "${portText}" is not a number` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, reason: `port ${port} is out of range` };
  return { ok: true, address: { host, port } };
}

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
