import { describe, expect, it } from 'vitest';
import { BODY_LIMITS, bodyLimitFor, MAX_BODY_CHARS, MAX_SETTINGS_BODY_CHARS } from './validate-body.js';

describe('bodyLimitFor', () => {
  it('gives API routes 64 KiB, the settings PUTs 1 MiB, and everything outside /api/ no body', () => {
    expect(bodyLimitFor('POST', '/api/v1/auth/login')).toBe(64 * 1024);
    expect(bodyLimitFor('GET', '/api/v1/events?x=1')).toBe(64 * 1024);
    expect(bodyLimitFor('PUT', '/api/v1/settings/alarms')).toBe(1024 * 1024);
    expect(bodyLimitFor('put', '/api/v1/settings/dispatch?by=x')).toBe(1024 * 1024);
    expect(bodyLimitFor('POST', '/api/v1/settings/alarms')).toBe(64 * 1024);
    expect(bodyLimitFor('GET', '/')).toBe(0);
    expect(bodyLimitFor('POST', '/apix/v1/settings/alarms')).toBe(0);
  });

  it('reads the target as the router will: percent-escapes decoded, the absolute form, the query cut off', () => {
    expect(bodyLimitFor('PUT', '/%61pi/v1/settings/alarms')).toBe(1024 * 1024);
    expect(bodyLimitFor('PUT', 'http://box:8080/api/v1/settings/alarms?by=x')).toBe(1024 * 1024);
    expect(bodyLimitFor('POST', '/api/v1/alarms#frag')).toBe(64 * 1024);
    // Unreadable: the strictest class.
    expect(bodyLimitFor('POST', '/api/%E0%A4%A')).toBe(0);
    expect(bodyLimitFor('POST', 'not a url')).toBe(0);
  });

  it('never refuses a body the routes own character limits would take (UTF-8: at most 3 bytes per UTF-16 unit)', () => {
    expect(BODY_LIMITS.api).toBeGreaterThanOrEqual(3 * MAX_BODY_CHARS);
    expect(BODY_LIMITS.settings).toBeGreaterThanOrEqual(3 * MAX_SETTINGS_BODY_CHARS);
    expect(Buffer.byteLength('\uffff')).toBe(3);
  });
});
