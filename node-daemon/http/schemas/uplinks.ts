import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** `uplinks` of `GET /health`: each SL 651 centre link (node-daemon/uplinks/sl651). Free of Node. */

export const sl651LinkCountersSchema = z.strictObject({
  reportsSent: z.int().describe('report frames sent, resends included'),
  reportsConfirmed: z.int(),
  resends: z.int(),
  keepAlives: z.int().describe('链路维持报 (2F) sent'),
  queriesAnswered: z.int().describe('the centre\'s queries answered (37, 38, 51, 4A)'),
  clockSetsRefused: z.int().describe('设置遥测站时钟 refused by the clock policy'),
  connects: z.int(),
  frameErrors: z.int().describe('frames from the centre that could not be taken: CRC, length, address, password'),
});

export const sl651CentreHealthSchema = z
  .strictObject({
    id: z.string(),
    address: z.string().describe('HOST:PORT of the centre'),
    centre: z.int().describe('中心站地址'),
    station: z.string().describe('遥测站地址 this box reports as'),
    stationType: z.int().describe('测站分类码 (e.g. 0x48 river)'),
    encoding: z.enum(['hex', 'ascii']),
    state: z.enum(['stopped', 'connecting', 'connected', 'backoff']),
    queueLength: z.int().describe('reports planned and not yet confirmed by the centre'),
    oldestQueuedAt: z.int().optional().describe('UTC ms: observation time of the oldest unconfirmed report'),
    lastConfirmedAt: z.int().optional().describe('UTC ms: when the centre last confirmed a report'),
    connectedSince: z.int().optional(),
    nextAttemptAt: z.int().optional().describe('UTC ms of the next connection attempt while backing off'),
    lastError: z.string().optional(),
    counters: sl651LinkCountersSchema,
  })
  .register(apiSchemas, { id: 'Sl651CentreHealth' });

export const uplinksHealthSchema = z.strictObject({
  sl651: z.array(sl651CentreHealthSchema),
});

export type Sl651CentreHealth = z.output<typeof sl651CentreHealthSchema>;
export type Sl651LinkCounters = z.output<typeof sl651LinkCountersSchema>;
export type UplinksHealth = z.output<typeof uplinksHealthSchema>;
