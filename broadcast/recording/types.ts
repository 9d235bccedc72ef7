/**
 * The recording room's shared shapes: where a channel comes from, what is to be recorded when, and what a recording
 * became. The schedule (what and when) and the recorder (ffmpeg) meet here and nowhere else. Pure.
 */

/** A satellite receiver's output, as ffmpeg opens it. */
export type SourceSpec =
  /** MPEG-TS over UDP, multicast or unicast (the receiver's IP output): `udp://239.1.1.1:1234`. */
  | { readonly kind: 'udp'; readonly url: string; readonly localAddress?: string }
  /** An HTTP stream, e.g. a TVHeadend channel URL (`http://tvh:9981/stream/channel/...`). */
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'rtsp'; readonly url: string; readonly transport?: 'tcp' | 'udp' }
  /** A receiver with only HDMI/AV out, through a capture device: V4L2 video and ALSA audio. */
  | {
      readonly kind: 'capture';
      readonly video: string;
      readonly audio?: string;
      readonly videoSize?: string;
      readonly framerate?: number;
    };

export interface Channel {
  /** Config id: letters, digits, `-`, `_`. */
  readonly id: string;
  /** As shown to operators, e.g. 「CCTV-17 农业农村」. */
  readonly name: string;
  readonly source: SourceSpec;
  /** The XMLTV channel id this channel's guide entries carry, when recordings come from a guide. */
  readonly xmltvId?: string;
}

export type JobOrigin = 'xmltv' | 'manual' | 'weekly' | 'now';

/** One recording the schedule wants: a channel from startAt to endAt (UTC ms, padding included). */
export interface RecordingJob {
  /** Stable across restarts and re-plans (e.g. origin + channel + programme start), so a job is never run twice. */
  readonly id: string;
  readonly channelId: string;
  readonly title: string;
  readonly startAt: number;
  readonly endAt: number;
  readonly origin: JobOrigin;
}

/** A stretch of a recording with no data: a stall, a killed ffmpeg, a daemon restart, an untrusted clock. */
export interface RecordingGap {
  readonly from: number;
  readonly to: number;
  readonly reason: 'stall' | 'ffmpeg_exit' | 'restart' | 'clock_untrusted' | 'disk_full';
}
