import { z } from 'zod';
import { idSchema } from '../config/fields.js';

/**
 * The `recording` config section (satellite and TV recording, broadcast/recording/): where recordings go, segment
 * length, the stall watchdog, and the channels with their sources. The schedule adds its own keys beside these. Pure.
 */

const udpSource = z
  .strictObject({
    kind: z.literal('udp').describe('MPEG-TS over UDP: the satellite receiver\'s IP output, multicast or unicast'),
    url: z.string().regex(/^udp:\/\/\S+$/, 'a udp:// URL, e.g. udp://239.1.1.1:1234 or udp://@:5000').describe('e.g. udp://239.1.1.1:1234'),
    localAddress: z
      .string()
      .regex(/^[0-9.]+$/, 'an IPv4 address of this box')
      .optional()
      .describe('the address of the interface that receives multicast (needed on loopback and with several interfaces)'),
  })
  .describe('MPEG-TS over UDP');

const httpSource = z
  .strictObject({
    kind: z.literal('http').describe('an HTTP stream, e.g. a TVHeadend channel URL'),
    url: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').describe('e.g. http://tvh:9981/stream/channel/…?profile=pass'),
  })
  .describe('an HTTP stream');

const rtspSource = z
  .strictObject({
    kind: z.literal('rtsp'),
    url: z.string().regex(/^rtsps?:\/\/\S+$/, 'an rtsp:// URL'),
    transport: z.enum(['tcp', 'udp']).optional().describe('RTP transport (tcp by default: nothing lost behind NAT or a busy switch)'),
  })
  .describe('an RTSP stream');

const captureSource = z
  .strictObject({
    kind: z.literal('capture').describe('a capture device for a receiver with only HDMI/AV out; the only source that is encoded (x264 veryfast)'),
    video: z.string().regex(/^\/dev\/\S+$/, 'a V4L2 device path such as /dev/video0').describe('V4L2 video device'),
    audio: z.string().min(1).optional().describe('ALSA capture device, e.g. hw:1,0; no audio without it'),
    videoSize: z.string().regex(/^\d{2,5}x\d{2,5}$/, 'WIDTHxHEIGHT, e.g. 720x576').optional(),
    framerate: z.number().int().min(1).max(120).optional(),
  })
  .describe('V4L2 video and ALSA audio');

export const sourceSchema = z.discriminatedUnion('kind', [udpSource, httpSource, rtspSource, captureSource]);

export const channelSchema = z
  .strictObject({
    id: idSchema.describe('channel id, used by the schedule and the API'),
    name: z.string().min(1).describe('as shown to operators, e.g. CCTV-17 农业农村'),
    source: sourceSchema,
    xmltvId: z.string().min(1).optional().describe('the channel id the XMLTV guide uses for this channel'),
  })
  .describe('a channel that can be recorded');

export const recordingShape = {
  dir: z.string().min(1).optional().describe('where recordings are kept (default <data>/recordings)'),
  segmentSeconds: z
    .number()
    .int()
    .min(2)
    .max(600)
    .default(60)
    .describe('length of each MPEG-TS segment: a power cut loses at most the open one\'s unwritten tail'),
  stallSeconds: z
    .number()
    .int()
    .min(2)
    .max(300)
    .default(10)
    .describe('no data reaching the disk for this long means the stream stalled: ffmpeg is killed and restarted, the gap recorded'),
  channels: z
    .array(channelSchema)
    .default([])
    .superRefine((channels, ctx) => {
      const seen = new Map<string, number>();
      channels.forEach((c, i) => {
        const first = seen.get(c.id);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `channel id ${c.id} is used twice (also recording.channels[${first}])` });
        else seen.set(c.id, i);
      });
    })
    .describe('the channels the box can record'),
};

export const recordingSchema = z.strictObject(recordingShape).describe('recording satellite and TV channels (MPEG-TS segments, a browser copy at the end)');

export type RecordingConfig = z.output<typeof recordingSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
