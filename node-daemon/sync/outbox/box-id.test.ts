import { describe, expect, it } from 'vitest';
import { BOX_ID_PATTERN, boxIdFromHostname, resolveBoxId } from './box-id.js';

describe('box id', () => {
  it('is the configured id when there is one', () => {
    expect(resolveBoxId('xiaoshan-01', 'raspberrypi')).toBe('xiaoshan-01');
  });

  it('is made from the host name otherwise, always a valid id', () => {
    expect(resolveBoxId(undefined, 'Qingshui-Box.local')).toBe('qingshui-box-local');
    expect(boxIdFromHostname('_x_')).toBe('x');
    expect(boxIdFromHostname('清水镇')).toBe('box');
    expect(boxIdFromHostname('')).toBe('box');
    const long = boxIdFromHostname('a'.repeat(62) + '--b');
    expect(long).toBe('a'.repeat(62));
    for (const h of ['A_B', '-lead', 'x'.repeat(100), 'a b c', '123']) expect(boxIdFromHostname(h), h).toMatch(BOX_ID_PATTERN);
  });
});
