import { HUB_ROLES, type HubRole } from './roles.js';

/** How names compare: NFC and lower case, so `Zhang` and `zhang` are one account (the spelling given is kept). */
export function accountKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export function isHubRole(value: unknown): value is HubRole {
  return typeof value === 'string' && (HUB_ROLES as readonly string[]).includes(value);
}
