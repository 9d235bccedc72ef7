import { z } from 'zod';
import { BOX_ID_PATTERN } from '../../node-daemon/sync/outbox/box-id.js';

/**
 * Hub config `cap:`, what the CAP 1.2 feed (`GET /api/v1/cap/feed`) says about who sends and where. Pure.
 *
 *     cap:
 *       sender: hub.county.example   # each box's alerts are sent as BOX@SENDER (CAP sender: globally unique)
 *       senderCode: 53010200000000   # 14 digits ZZZZZZDDDUUUXX (GB/T 35965.1), the first part of every identifier
 *       senderName: 某县防汛抗旱指挥部
 *       areaDesc: 某县               # an alert's area: this and the box's name, unless `areas` names it
 *       areas: { qingshui-01: 清水镇清水村 }
 *       geocode: "530102"            # GB/T 2260 division code of the county, on every alert's area
 *       timeZone: Asia/Shanghai      # the offset of CAP times and identifiers
 */

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const DEFAULT_CAP = {
  sender: 'fenghuo-hub',
  senderCode: '00000000000000',
  senderName: '县防汛预警平台',
  areaDesc: '本县',
  timeZone: 'Asia/Shanghai',
} as const;

export const capConfigSchema = z
  .strictObject({
    sender: z
      .string()
      .regex(/^[^\s,<&@]{1,200}$/, 'no spaces, commas, <, & or @ (a domain name fits)')
      .default(DEFAULT_CAP.sender)
      .describe('the hub\'s CAP sender name; each box\'s alerts go out as BOX@SENDER, e.g. qingshui-01@hub.county.example'),
    senderCode: z
      .string()
      .regex(/^\d{14}$/, '14 digits ZZZZZZDDDUUUXX: division code, department, unit, extension (GB/T 35965.1)')
      .default(DEFAULT_CAP.senderCode)
      .describe('issuing unit code at the start of every CAP identifier'),
    senderName: z.string().min(1).max(200).default(DEFAULT_CAP.senderName).describe('shown to people, e.g. 某县防汛抗旱指挥部'),
    areaDesc: z.string().min(1).max(200).default(DEFAULT_CAP.areaDesc).describe('the county; an alert\'s area is this and the box\'s name'),
    areas: z
      .record(z.string().regex(BOX_ID_PATTERN, 'a box id'), z.string().min(1).max(500))
      .default({})
      .describe('the area each box covers, by box id, e.g. { qingshui-01: 清水镇清水村 }'),
    geocode: z.string().regex(/^\d{6,12}$/, 'a GB/T 2260 division code').optional().describe('GB/T 2260 division code of the county'),
    timeZone: z
      .string()
      .refine(isTimeZone, 'an IANA time zone, e.g. Asia/Shanghai')
      .default(DEFAULT_CAP.timeZone)
      .describe('the offset of CAP times and identifiers, and the days of GET …/readings?resolution=1d'),
  })
  .prefault({})
  .describe('the CAP 1.2 feed of active alarms (GET /api/v1/cap/feed)');

export type HubCapConfig = z.output<typeof capConfigSchema>;

export const DEFAULT_CAP_CONFIG: HubCapConfig = capConfigSchema.parse(undefined);
