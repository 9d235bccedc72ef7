/**
 * `settings` orders: the section through the box's own settings path (settings-service.ts), validated as a whole
 * config, stored with an audit row (`by: county`, `account: county:<who>`), applied live. A section that does not
 * validate on this box is refused with the problems, and nothing is applied.
 */
import type { SettingsService } from '../../settings/settings-service.js';
import type { OrderOf } from '../protocol/order-schema.js';
import type { OrderHandler } from './handler.js';

export const COUNTY_SETTINGS_BY = 'county';

export function settingsHandler(settings: Pick<SettingsService, 'update'>): OrderHandler<'settings'> {
  return async (order: OrderOf<'settings'>) => {
    const { section, value } = order.body;
    const result = await settings.update(section, value, COUNTY_SETTINGS_BY, `county:${order.by}`);
    if (!result.ok) return { status: 'refused', detail: result.problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
    const warnings = result.warnings.length === 0 ? '' : `; warnings: ${result.warnings.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
    return { status: 'applied', detail: `${section} settings changed (audit ${result.auditId})${warnings}` };
  };
}
