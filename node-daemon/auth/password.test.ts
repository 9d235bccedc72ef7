import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { commonPasswordKey, MIN_PASSWORD_LENGTH, passwordProblem } from './password.js';

describe('passwordProblem', () => {
  it('refuses a password of whitespace only, of any kind', () => {
    for (const pw of ['        ', '\t\t\t\t\t\t\t\t', '\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000', ' \u00a0 \u2003 \n \r ', '\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b']) {
      expect(passwordProblem(pw), JSON.stringify(pw)).toMatch(/whitespace/);
    }
  });

  it('refuses the commonest passwords regardless of case, width and surrounding spaces', () => {
    for (const pw of ['password', 'PASSWORD', 'Password1', '12345678', '１２３４５６７８', ' qwertyuiop ', 'woaini1314', 'Admin123', 'P@ssw0rd', '1qaz2wsx', '5201314520', 'fenghuo123']) {
      expect(passwordProblem(pw), pw).toMatch(/most common passwords/);
    }
  });

  it('takes ordinary pass phrases, including ones that merely contain a common password', () => {
    for (const pw of ['river-rises-at-dawn', 'correct horse battery', 'password-of-the-duty-officer', '水位上涨 rising', 'zhi-ban-yuan-1', ' leading space ok']) {
      expect(passwordProblem(pw), pw).toBeUndefined();
    }
  });
});

describe('the common password list', () => {
  it('has a few hundred entries, stored as they are compared, with enough of the length that can be set', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(200);
    expect(COMMON_PASSWORDS.size).toBeLessThanOrEqual(1000);
    for (const pw of COMMON_PASSWORDS) expect(commonPasswordKey(pw), pw).toBe(pw);
    const settable = [...COMMON_PASSWORDS].filter((pw) => pw.length >= MIN_PASSWORD_LENGTH);
    expect(settable.length).toBeGreaterThanOrEqual(200);
  });
});
