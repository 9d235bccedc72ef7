import { z } from 'zod';
import { idSchema } from '../config/fields.js';

/**
 * The `cameras` config section (node-daemon/camera, drivers/camera): cameras that photograph a site on a schedule and
 * at its alarms. Pure. Each `site` must name an alarm site (config/cross-check.ts).
 */

const sourceSchema = z
  .strictObject({
    rtsp: z.string().regex(/^rtsps?:\/\/\S+$/, 'an rtsp:// URL, e.g. rtsp://user:pass@192.168.1.64:554/Streaming/Channels/101').optional().describe('an RTSP stream: its first decodable frame is the picture (TCP interleaved)'),
    snapshotUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL, e.g. http://192.168.1.64/ISAPI/Streaming/channels/101/picture')
      .optional()
      .describe('an HTTP URL answering one JPEG or PNG (ONVIF GetSnapshotUri gives one); user:password@ in it is sent as basic auth'),
  })
  .superRefine((s, ctx) => {
    const given = (s.rtsp === undefined ? 0 : 1) + (s.snapshotUrl === undefined ? 0 : 1);
    if (given !== 1) ctx.addIssue({ code: 'custom', message: given === 0 ? 'give rtsp or snapshotUrl' : 'give rtsp or snapshotUrl, not both' });
  })
  .describe('where the picture comes from: exactly one of rtsp and snapshotUrl');

export const cameraSchema = z
  .strictObject({
    id: idSchema.describe('camera id, used in file names and the API'),
    name: z.string().min(1).optional().describe('as shown to operators, e.g. 清水河桥头'),
    site: idSchema.describe('the alarm site (alarms.sites[].id) the camera looks at'),
    source: sourceSchema,
    intervalMin: z.number().int().min(0).max(1440).default(30).describe('minutes between scheduled pictures; 0: pictures only at alarms'),
    timeoutS: z.number().int().min(2).max(120).default(15).describe('hard limit of one picture (connect, read, decode); ffmpeg is killed after it'),
    onAlarm: z
      .boolean()
      .default(true)
      .describe('at every raise, escalation, de-escalation and clearing of a flood, manual or county alarm of the site: the latest scheduled picture (when recent) as "before", one taken at once and one afterDelayS later'),
    afterDelayS: z.number().int().min(0).max(3600).default(60).describe('seconds after an alarm transition for the "after" picture; 0: none'),
    keepDays: z.number().int().min(1).max(3650).default(14).describe('days scheduled pictures are kept'),
    keepAlarmDays: z.number().int().min(1).max(3650).default(365).describe('days pictures of an alarm (taken for it, or its "before") are kept'),
    faultAfterFailures: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('consecutive failed pictures that raise the fault alarm fault:camera:<id> (cleared by the next picture); 0: never'),
  })
  .describe('a camera that photographs a site');

export const camerasSchema = z
  .array(cameraSchema)
  .default([])
  .superRefine((cameras, ctx) => {
    const seen = new Map<string, number>();
    cameras.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `camera id ${c.id} is used twice (also cameras[${first}])` });
      else seen.set(c.id, i);
    });
  })
  .describe('cameras that photograph the alarm sites on a schedule and at alarms (pictures kept under <data>/cameras, within the media quota)');

export type CameraConfig = z.output<typeof cameraSchema>;
