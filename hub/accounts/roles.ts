/**
 * The hub's roles, lowest first: a `viewer` reads, `duty` (值班员) also issues orders (county alarms, notices,
 * content), an `admin` also manages accounts, enrolment codes, revocations and signed settings. Free of Node: the hub
 * page shares it.
 */
export const HUB_ROLES = ['viewer', 'duty', 'admin'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

export function roleAtLeast(have: HubRole, need: HubRole): boolean {
  return HUB_ROLES.indexOf(have) >= HUB_ROLES.indexOf(need);
}
