import { escapeXml } from '../../node-daemon/alarms/cap/xml.js';
import type { CapMessage } from './hub-alarm-cap.js';

/**
 * The CAP feed as Atom 1.0 (RFC 4287), the way alert aggregators read CAP (OASIS "Example Practices: CAP Feeds",
 * Google Public Alerts, the WMO register of alerting authorities): one entry per current CAP message, with
 *   - `link rel="alternate" type="application/cap+xml"` to the CAP document itself (what aggregators fetch), and
 *   - the same `<alert>` inline in `content type="application/cap+xml"` (RFC 4287 4.1.3.3: an XML media type holds a
 *     single child element), for readers that take the feed alone.
 * `title` is the CAP headline, `summary` its description, `updated` its `sent`. Pure.
 */

export const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';
export const CAP_MEDIA_TYPE = 'application/cap+xml';
export const ATOM_MEDIA_TYPE = 'application/atom+xml';

export interface AtomFeedInput {
  /** The feed's own absolute URL (also its id). */
  readonly selfUrl: string;
  readonly title: string;
  readonly authorName: string;
  /** RFC 3339: when the newest entry changed, or now for an empty feed. */
  readonly updated: string;
  readonly entries: readonly CapMessage[];
  /** The absolute URL of one message's CAP document. */
  alertUrl(message: CapMessage): string;
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
function entryId(m: CapMessage): string {
  return `tag:fenghuo,2025:cap:${encodeURIComponent(m.senderXml)}:${encodeURIComponent(m.identifierXml)}`;
}

export function atomFeed(input: AtomFeedInput): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<feed xmlns="${ATOM_NAMESPACE}">`,
    `  <id>${escapeXml(input.selfUrl)}</id>`,
    `  <title>${escapeXml(input.title)}</title>`,
    `  <updated>${escapeXml(input.updated)}</updated>`,
    `  <author><name>${escapeXml(input.authorName)}</name></author>`,
    `  <link rel="self" type="${ATOM_MEDIA_TYPE}" href="${escapeXml(input.selfUrl)}"/>`,
    '  <generator>fenghuo hub</generator>',
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
