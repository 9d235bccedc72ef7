export { parseBindAddress, type ListenAddress } from '../config/listen.js';

export function httpUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
