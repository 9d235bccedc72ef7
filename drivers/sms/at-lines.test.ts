import { describe, expect, it } from 'vitest';
import { AtLineReader } from './at-lines.js';

describe('AtLineReader', () => {
  it('splits CR LF framed lines across chunk boundaries', () => {
    const r = new AtLineReader();
    expect(r.push('\r\n+CSQ: 2')).toEqual([]);
    expect(r.push('0,99\r\n\r\nOK\r\n')).toEqual([
      { kind: 'line', text: '+CSQ: 20,99' },
      { kind: 'line', text: 'OK' },
    ]);
  });

  it('sees the > prompt, which has no line end', () => {
    const r = new AtLineReader();
    expect(r.push('\r\n> ')).toEqual([{ kind: 'prompt' }]);
    expect(r.push('\r\n>')).toEqual([]);
    expect(r.flushPrompt()).toEqual([{ kind: 'prompt' }]);
  });

  it('joins a +CDS header with its PDU line, even between lines of an answer', () => {
    const r = new AtLineReader();
    expect(r.push('\r\n+CMGS: 5\r\n\r\n+CDS: 25\r\n0006D60B911326880736F4111011719551401110117195714000\r\n\r\nOK\r\n')).toEqual([
      { kind: 'line', text: '+CMGS: 5' },
      { kind: 'pdu-urc', header: '+CDS: 25', pdu: '0006D60B911326880736F4111011719551401110117195714000' },
      { kind: 'line', text: 'OK' },
    ]);
  });
});
