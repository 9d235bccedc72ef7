/**
 * Bytes on the wire as the box counts them for its budget (docs/sync.md, "Link economy": request and response,
 * headers included). Pure. HTTP/1.1 framing: the request line or status line, one `Name: value` line per field, the
 * blank line, then the body as sent (compressed). The request's fields are exactly those the client gives the
 * transport (it sets Host, Connection and Content-Length itself, so Node adds none); the response's are its raw
 * fields as received. TLS and TCP/IP overhead are not counted (the box cannot see them); nor is a chunked answer's
 * framing (the hub answers with Content-Length).
 */

const CRLF = 2;
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** `POST /path HTTP/1.1` CRLF, the fields, CRLF. */
export function requestHeadBytes(method: string, target: string, headers: Readonly<Record<string, string>>): number {
  let n = utf8(`${method} ${target} HTTP/1.1`) + CRLF;
  for (const [name, value] of Object.entries(headers)) n += utf8(`${name}: ${value}`) + CRLF;
  return n + CRLF;
}

/** `HTTP/1.1 200 OK` CRLF, the raw fields (name, value, name, value, …), CRLF. */
export function responseHeadBytes(httpVersion: string, status: number, statusMessage: string, rawHeaders: readonly string[]): number {
  let n = utf8(`HTTP/${httpVersion} ${status} ${statusMessage}`) + CRLF;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) n += utf8(`${rawHeaders[i] ?? ''}: ${rawHeaders[i + 1] ?? ''}`) + CRLF;
  return n + CRLF;
}
