import { promptTwice, readStdinLine } from '../../node-daemon/terminal-password.js';

/**
 * The new password of `fenghuo hub account add|passwd`: the first line on stdin when stdin is a pipe or a file (for
 * scripts: `printf '%s\n' "$PW" | fenghuo hub account add …`), else asked twice on the terminal without echo.
 * Prompts go to stderr, so stdout stays for results.
 */
export async function readNewPassword(what: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdinLine();
  return promptTwice(`${what}: `, 'Again / 再输入一次: ');
}
