// Reading a password on the console, for the box's `fenghuo users reset-password` and the hub's `fenghuo hub account`.
// Prompts go to stderr, so stdout stays for results.

/** The first line on stdin (a pipe or a file), without its line end. */
export async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(0x0a)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new Error('no password on stdin (give it as the first line)');
  return line;
}

/** Asks twice on the terminal without echo; the two answers must agree. */
export async function promptTwice(first: string, second: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('stdin is not a terminal: pipe the new password in with --stdin');
  const a = await promptHidden(first);
  const b = await promptHidden(second);
  if (a !== b) throw new Error('the two passwords differ; nothing was changed');
  return a;
}

/** Reads a line from the terminal without echoing it (prompt on stderr, so stdout stays for results). */
export function promptHidden(prompt: string): Promise<string> {
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
