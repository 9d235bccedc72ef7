import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** The answer of `GET /system` (routes/system.ts, which needs node:os). Free of Node: the web UI's contract reads it. */

export const systemBodySchema = z
  .strictObject({
    ts: z.int().describe('UTC ms'),
    version: z.string().describe('fenghuo version'),
    node: z.string().describe('Node.js version'),
    hostname: z.string(),
    timeZone: z.string().describe('the box\'s IANA time zone (site.timezone); the UI shows local times in it'),
    memory: z.strictObject({
      rssBytes: z.int().describe('resident memory of the daemon'),
      heapUsedBytes: z.int(),
      systemFreeBytes: z.int(),
      systemTotalBytes: z.int(),
    }),
    uptime: z.strictObject({ processS: z.int(), systemS: z.int() }),
    disk: z.strictObject({ path: z.string(), freeBytes: z.int(), totalBytes: z.int() }).describe('the file system of the data directory'),
    clock: z
      .strictObject({
        source: z.enum(['timedatectl', 'timesyncd', 'unknown']),
        synchronized: z.boolean().nullable().describe('NTP-synchronised; null when it cannot be told'),
        trusted: z
          .boolean()
          .optional()
          .describe('the clock-trust service: NTP-synchronised, or the county hub\'s time agrees, or nothing can tell (no systemd). While false, readings are marked and corrected once trusted time arrives'),
        trustSource: z.enum(['ntp', 'hub', 'unknown']).nullable().optional().describe('what made the clock trusted; null while it is not'),
        trustedSince: z.int().nullable().optional().describe('UTC ms when the clock became trusted'),
        correctionMs: z.int().nullable().optional().describe('the last correction added to times stamped while untrusted (true − box)'),
        hubOffsetMs: z.int().nullable().optional().describe('county hub clock − box clock as last measured; null before any answer'),
        lastStepMs: z.int().nullable().optional().describe('the last jump of the wall clock seen (ms, + forwards)'),
      })
      .describe('whether the system clock can be trusted (alarm and reading times come from it)'),
  })
  .register(apiSchemas, { id: 'System' });
