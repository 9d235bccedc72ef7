/**
 * The https hub's certificate as `fenghuo enroll` first sees it (docs/sync.md, "TLS and the pinned hub
 * certificate"): its key's pin, and whether the system's certificate authorities vouch for it under the hub's name.
 * One TLS handshake, no request: nothing is sent before the installer's `--pin` (or a CA) has said yes.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { certificatePin } from '../push/tls-pin.js';

export interface HubCertificate {
  /** `sha256/…` of the certificate's public key. */
  readonly pin: string;
  /** The system's CAs accept it for the hub's host name. */
  readonly caTrusted: boolean;
  /** Why not, when not (e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  readonly caError?: string;
  readonly subject: string;
  readonly validTo: string;
}

export function probeHubCertificate(url: URL, timeoutMs: number): Promise<HubCertificate> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 443 : Number(url.port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerX509Certificate();
      const peer = socket.getPeerCertificate();
      socket.end();
      if (cert === undefined) {
        reject(new Error('the hub showed no certificate'));
        return;
      }
      const nameError = socket.authorized ? tls.checkServerIdentity(host, peer) : undefined;
      const caError = !socket.authorized ? String(socket.authorizationError) : nameError?.message;
      resolve({
        pin: certificatePin(cert),
        caTrusted: caError === undefined,
        ...(caError === undefined ? {} : { caError }),
        subject: cert.subject.replace(/\n/g, ', '),
        validTo: cert.validTo,
      });
    });
  });
}
