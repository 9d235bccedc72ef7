import { escapeXml } from './xml.js';

/**
 * CAP messages as an Atom 1.0 feed (RFC 4287), the way alert aggregators read CAP (OASIS "Example Practices: CAP
 * Feeds", Google Public Alerts, the WMO register of alerting authorities): one entry per current CAP message, with
 *   - `link rel="alternate" type="application/cap+xml"` to the CAP document itself (what aggregators fetch), and
 *   - the same `<alert>` inline in `content type="application/cap+xml"` (RFC 4287 4.1.3.3: an XML media type holds a
 *     single child element), for readers that take the feed alone.
 * `title` is the CAP headline, `summary` its description, `updated` its `sent`. Pure.
 *
 * One builder for the box (`GET /api/v1/cap/feed`, http/routes/cap-feed.ts) and the county hub (hub/cap/atom-feed.ts):
 * each hands it its own messages, links and generator name.
 */

export const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';
export const CAP_MEDIA_TYPE = 'application/cap+xml';
export const ATOM_MEDIA_TYPE = 'application/atom+xml';

/** One CAP message and what an Atom entry repeats of it (the texts as they stand in the XML: already escaped). */
export interface CapFeedEntry {
  /** The whole document, XML declaration first (cap.ts `alarmToCap`). */
  readonly xml: string;
  readonly identifierXml: string;
  readonly senderXml: string;
  /** CAP `sent`: RFC 3339 with the zone's offset (UTC as -00:00), so also an Atom date. */
  readonly sent: string;
  readonly headlineXml: string;
  readonly descriptionXml: string;
  readonly status: 'Actual' | 'Exercise';
}

/** The text of the first `<name>` of a document cap.ts wrote (escaped, one line). */
function field(xml: string, name: string): string {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
}

/** The feed's view of a CAP document written by cap.ts `alarmToCap`; a drill is status Exercise. */
export function capFeedEntry(xml: string, drill: boolean): CapFeedEntry {
  return {
    xml,
    identifierXml: field(xml, 'identifier'),
    senderXml: field(xml, 'sender'),
    sent: field(xml, 'sent'),
    headlineXml: field(xml, 'headline'),
    descriptionXml: field(xml, 'description'),
    status: drill ? 'Exercise' : 'Actual',
  };
}

/** The feed's `updated` (RFC 3339, UTC): the newest entry's `sent`, or `now` (UTC ms) for an empty feed. */
export function feedUpdated(entries: readonly Pick<CapFeedEntry, 'sent'>[], now: number): string {
  const newest = Math.max(...entries.map((m) => Date.parse(m.sent)).filter((t) => Number.isFinite(t)));
  return new Date(Number.isFinite(newest) ? newest : now).toISOString();
}

export interface AtomFeedInput<E extends CapFeedEntry = CapFeedEntry> {
  /** The feed's own absolute URL (also its id). */
  readonly selfUrl: string;
  readonly title: string;
  readonly authorName: string;
  /** RFC 3339: when the newest entry changed, or now for an empty feed (see `feedUpdated`). */
  readonly updated: string;
  /** The feed's `<generator>`, e.g. `fenghuo hub`. */
  readonly generator: string;
  readonly entries: readonly E[];
  /** The absolute URL of one message's CAP document. */
  alertUrl(message: E): string;
}

/** The `<alert>` element of a CAP document, without its XML declaration, indented to sit inside `<content>`. */
function inlineAlert(xml: string, indent: string): string {
  return xml
    .replace(/^<\?xml[^?]*\?>\s*/, '')
    .trimEnd()
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
}

/** A stable id per message: the CAP sender and identifier as a tag URI (RFC 4151). */
function entryId(m: CapFeedEntry): string {
  return `tag:fenghuo,2025:cap:${encodeURIComponent(m.senderXml)}:${encodeURIComponent(m.identifierXml)}`;
}

export function atomFeed<E extends CapFeedEntry>(input: AtomFeedInput<E>): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<feed xmlns="${ATOM_NAMESPACE}">`,
    `  <id>${escapeXml(input.selfUrl)}</id>`,
    `  <title>${escapeXml(input.title)}</title>`,
    `  <updated>${escapeXml(input.updated)}</updated>`,
    `  <author><name>${escapeXml(input.authorName)}</name></author>`,
    `  <link rel="self" type="${ATOM_MEDIA_TYPE}" href="${escapeXml(input.selfUrl)}"/>`,
    `  <generator>${escapeXml(input.generator)}</generator>`,
  ];
  for (const m of input.entries) {
    const href = escapeXml(input.alertUrl(m));
    lines.push(
      '  <entry>',
      `    <id>${escapeXml(entryId(m))}</id>`,
      // Texts taken from the CAP document are escaped there already.
      `    <title>${m.headlineXml}</title>`,
      `    <updated>${escapeXml(m.sent)}</updated>`,
      `    <published>${escapeXml(m.sent)}</published>`,
      `    <author><name>${m.senderXml}</name></author>`,
      `    <category term="${m.status}"/>`,
      `    <link rel="alternate" type="${CAP_MEDIA_TYPE}" href="${href}"/>`,
      `    <summary>${m.descriptionXml}</summary>`,
      `    <content type="${CAP_MEDIA_TYPE}">`,
      inlineAlert(m.xml, '      '),
      '    </content>',
      '  </entry>',
    );
  }
  lines.push('</feed>', '');
  return lines.join('\n');
}
