// The centre simulator's usage text and mode test, apart from centre-sim-cli.ts so that `fenghuo sim --help` and the
// other modes do not load the SL 651 codec.

/** `fenghuo sim --sl651-centre HOST:PORT [options]`: the SL 651 centre simulator as a process (see centre-sim.ts). */
export const CENTRE_USAGE = `usage: fenghuo sim --sl651-centre HOST:PORT [--password HEX4] [--end esc|eot] [--no-confirm]
                   [--confirm-delay-ms N] [--utc-offset-min N]

Plays an SL 651-2014 county centre (中心站) for telemetry stations over TCP, to check a box before pointing it at the
real centre: decodes every frame a station sends, confirms reports and answers, NAKs frames with a CRC error, and
prints one JSON object a line on stdout.
  --sl651-centre HOST:PORT  listen here (port 0 = any free port: the "listening" line tells which)
  --password HEX4           refuse (error "password", no confirmation) frames with another password (default: any)
  --end esc|eot             a confirmation's end mark: esc = confirmed, stay on line (default); eot = may hang up
  --no-confirm              never confirm (to test the station's resending)
  --confirm-delay-ms N      confirm N ms late (0)
  --utc-offset-min N        the stations' clock offset from UTC in minutes (480, Beijing)

Queries, one JSON object a line on stdin (to every station that has spoken, or "station":"0012345678"):
  {"query":"realtime"}   {"query":"clock"}   {"query":"set-clock","time":"2026-12-06T12:00:00+08:00"} (default now)
  {"query":"period","from":"2026-12-06T10:00+08:00","to":"2026-12-06T12:00+08:00","stepMinutes":5,"element":"39"}

Output lines (each has "at", ISO UTC, and "event"):
  listening     address
  connected     peer                  disconnected  peer, station
  frame         a station's message: peer, encoding, station, centre, password, fn, fnName, serial, sent (local
                time with offset), packet (null or {"total":N}), duplicate, confirmed, hex; reports add stationType,
                stationTypeName, observed, elements [{id, ascii, name, unit, value | values | stepMinutes+values |
                definition+raw}] and groups [{observed, elements}] when there are several; 2F keep-alives are never
                confirmed; other function codes add body (hex)
  answer        an answer to a query: as frame, plus query (realtime, period… or null); 51/4A add clock
  packet        one packet of a multi-packet message: peer, station, fn, fnName, seq, total, hex
  sent          what the centre sent: peer, station, fn, fnName, serial, end (ESC|EOT|NAK|ENQ), packet, query,
                time (set-clock), hex
  error         code (crc, start, password, packets, body, element, command, no-station…), detail, and where
                known peer, station, fn, serial, nak (a NAK was sent), confirmed, hex`;

/** Whether `fenghuo sim`'s arguments ask for the centre simulator. */
export function isCentreMode(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--sl651-centre' || a.startsWith('--sl651-centre='));
}
