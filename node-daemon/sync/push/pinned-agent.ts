/**
 * An https agent that trusts exactly one hub key: the SPKI pin recorded at enrolment (tls-pin.ts; docs/sync.md, "TLS
 * and the pinned hub certificate"). No certificate authority is asked: a self-signed hub certificate works when its
 * pin matches, and a certificate any CA would accept is refused when its pin does not.
 *
 * Node's `checkServerIdentity` is only called after the CA chain verified, so it cannot pin a self-signed
 * certificate. Instead the agent makes the TLS connection itself, checks the pin when the handshake is done, and
 * only then hands the socket to the request (the agent's createConnection may answer through its callback): not one
 * byte of a request goes to a server whose key is not the pinned one. TLS session resumption is off, so every new
 * connection shows its certificate.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { certificatePin } from './tls-pin.js';

export const PIN_MISMATCH_CODE = 'ERR_TLS_PIN_MISMATCH';

export class TlsPinMismatch extends Error {
  override readonly name = 'TlsPinMismatch';
  readonly code = PIN_MISMATCH_CODE;
  constructor(
    readonly host: string,
    readonly expected: string,
    /** The pin the server showed; undefined when it showed no certificate. */
    readonly got: string | undefined,
  ) {
    super(`the hub ${host} showed a certificate whose key (${got ?? 'none'}) is not the one pinned at enrolment (${expected})`);
  }
}

/** How long the TCP connection and TLS handshake may take before the attempt is given up. */
const HANDSHAKE_TIMEOUT_MS = 60_000;

type ConnectCallback = (err: Error | null, socket?: Duplex) => void;

/** `tls.connect`, then the pin, then the socket to `cb`. Returns nothing: the agent waits for `cb`. */
function pinnedConnect(pin: string, options: tls.ConnectionOptions, cb: ConnectCallback): undefined {
  // The pin is the trust: the CA check is off on purpose (a self-signed hub certificate must work when pinned).
  const socket = tls.connect({ ...options, rejectUnauthorized: false, session: undefined });
  let settled = false;
  const settle = (err: Error | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.removeListener('error', settle);
    if (err === null) cb(null, socket);
    else {
      socket.destroy();
      cb(err);
    }
  };
  const timer = setTimeout(() => settle(Object.assign(new Error('no TLS handshake with the hub within 60 s'), { code: 'ETIMEDOUT' })), HANDSHAKE_TIMEOUT_MS);
  socket.once('error', settle);
  socket.once('secureConnect', () => {
    const cert = socket.getPeerX509Certificate();
    const got = cert === undefined ? undefined : certificatePin(cert);
    settle(got === pin ? null : new TlsPinMismatch(`${options.host ?? ''}:${options.port ?? ''}`, pin, got));
  });
  return undefined;
}

/** A keep-alive https agent whose every connection must show the key `pin` (`sha256/…`). */
export function pinnedAgent(pin: string, opts: https.AgentOptions = {}): https.Agent {
  const agent = new https.Agent({ ...opts, maxCachedSessions: 0 });
  // Node's Agent calls createConnection(options, oncreate) and waits for oncreate when nothing is returned; the
  // typings only know the synchronous form.
  agent.createConnection = ((options: tls.ConnectionOptions, cb: ConnectCallback) => pinnedConnect(pin, options, cb)) as unknown as https.Agent['createConnection'];
  return agent;
}
