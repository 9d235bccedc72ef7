/**
 * The box id the feed answers with (docs/sync.md: chosen at enrolment, `[a-z0-9][a-z0-9-]{0,62}`). Pure.
 *
 * Config `sync.boxId` when given; otherwise made from the host name (lower case, every other character a `-`,
 * leading dashes dropped, at most 63), and `box` if nothing is left. Enrolment (a later part of issue 12) will
 * write the id it chose; until then the config key or the host name names the box.
 */
export const BOX_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const BOX_ID_RULE = 'a box id is 1-63 characters: lower-case letters, digits and "-", starting with a letter or digit';

export function boxIdFromHostname(hostname: string): string {
  const id = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return BOX_ID_PATTERN.test(id) ? id : 'box';
}

export function resolveBoxId(configured: string | undefined, hostname: string): string {
  return configured ?? boxIdFromHostname(hostname);
}
