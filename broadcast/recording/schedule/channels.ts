/** The schedule's view of the configured channels. Pure. */
import type { Channel } from '../types.js';
import type { ScheduleChannel } from './schedule-types.js';

/**
 * The input a channel needs. Channels that name the same `receiver` (one single-input satellite receiver, one tuner)
 * share it; so do channels on the same capture device, which only one reader can open. Any other channel (a UDP
 * multicast many may read, a TVHeadend URL whose server picks a free tuner) is an input of its own.
 */
export function sourceKeyOf(channel: Channel, receiver?: string): string {
  if (receiver !== undefined) return `receiver:${receiver}`;
  if (channel.source.kind === 'capture') return `capture:${channel.source.video}`;
  return `channel:${channel.id}`;
}

export function scheduleChannelOf(channel: Channel, receiver?: string): ScheduleChannel {
  return {
    id: channel.id,
    name: channel.name,
    ...(channel.xmltvId === undefined ? {} : { xmltvId: channel.xmltvId }),
    sourceKey: sourceKeyOf(channel, receiver),
  };
}
