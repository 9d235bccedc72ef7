import { describe, expect, it } from 'vitest';
import { formatProblems, summarizeProblems } from '../../node-daemon/config/format-problems.js';
import { parseListen } from '../../node-daemon/config/listen.js';
import { formatPath, makeProblem, renderValue } from '../../node-daemon/config/problem.js';
import { didYouMean, editDistance } from '../../node-daemon/config/suggest.js';

describe('didYouMean', () => {
  it.each([
    ['baudrate', ['baudRate', 'parity'], 'baudRate'],
    ['critcal', ['critical', 'slave'], 'critical'],
    ['sensor', ['buses', 'sensors'], 'sensors'],
    ['pollInterval', ['pollIntervalMs', 'profile'], 'pollIntervalMs'],
    ['slaveId', ['slave', 'bus'], 'slave'],
    ['timeout', ['type', 'host', 'port'], undefined],
    ['xyz', ['buses', 'sensors'], undefined],
  ] as const)('%s -> %s', (word, candidates, expected) => {
    expect(didYouMean(word, candidates)).toBe(expected);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('parity', 'pairty')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1', 8080],
    ['0.0.0.0:1', '0.0.0.0', 1],
    ['fenghuo-box.local:65535', 'fenghuo-box.local', 65535],
    ['[::1]:8080', '::1', 8080],
  ])('accepts %s', (text, host, port) => {
    expect(parseListen(text)).toEqual({ ok: true, address: { host, port } });
  });

  it.each([
    ['8080', 'the port is missing'],
    [':8080', 'the host is missing'],
    ['::1:8080', 'in brackets'],
    ['300.1.1.1:80', 'not an IPv4 address'],
    ['host name:80', 'not a host name'],
    ['127.0.0.1:0', 'port 0 is out of range'],
    ['127.0.0.1:70000', 'port 70000 is out of range'],
    ['127.0.0.1:http', 'port "http" is not a number'],
  ])('rejects %s', (text, reason) => {
    const parsed = parseListen(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});

describe('problem formatting', () => {
  it('formats key paths as installers read them', () => {
    expect(formatPath(['buses', 1, 'baudRate'])).toBe('buses[1].baudRate');
    expect(formatPath(['sensors', 0, 'profile', 'value', 'type'])).toBe('sensors[0].profile.value.type');
    expect(formatPath(['profiles', 'my gauge'])).toBe('profiles["my gauge"]');
    expect(formatPath([])).toBe('');
  });

  it('renders and truncates values', () => {
    expect(renderValue('水位')).toBe('"水位"');
    expect(renderValue(9601)).toBe('9601');
    expect(renderValue({ a: 'x'.repeat(100) })).toHaveLength(60);
  });

  it('prints compiler-style lines with the file position', () => {
    const problems = [
      { ...makeProblem(['buses', 1, 'baudRate'], { message: '9601 is not allowed; expected one of 1200, 2400', messageZh: '不允许' }), line: 14, column: 5 },
      makeProblem([], { severity: 'warning', message: 'no sensors are configured' }),
    ];
    expect(formatProblems(problems, { file: 'site.yaml', zh: true })).toEqual([
      'site.yaml:14:5: error: buses[1].baudRate: 9601 is not allowed; expected one of 1200, 2400',
      '    不允许',
      'site.yaml: warning: no sensors are configured',
    ]);
    expect(formatProblems(problems)).toEqual(['error: buses[1].baudRate: 9601 is not allowed; expected one of 1200, 2400', 'warning: no sensors are configured']);
    expect(summarizeProblems(problems)).toBe('1 error, 1 warning');
  });
});
