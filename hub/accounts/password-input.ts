/**
 * The new password of `fenghuo hub account add|passwd`: the first line on stdin when stdin is a pipe or a file (for
 * scripts: `printf '%s\n' "$PW" | fenghuo hub account add …`), else asked twice on the terminal without echo.
 * Prompts go to stderr, so stdout stays for results.
 */
export async function readNewPassword(what: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdinLine();
  const a = await promptHidden(`${what}: `);
  const b = await promptHidden('Again / 再输入一次: ');
  if (a !== b) throw new Error('the two passwords differ; nothing was changed');
  return a;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(0x0a)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new Error('no password on stdin (give it as the first line)');
  return line;
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolvePassword, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolvePassword(typed);
    };
    const onData = (data: Buffer | string): void => {
      for (const ch of typeof data === 'string' ? data : data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled; nothing was changed'));
        if (ch === '\u0004' && typed === '') return done(new Error('no password given; nothing was changed'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
