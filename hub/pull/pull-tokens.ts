import { readFile, stat } from 'node:fs/promises';
import { makeProblem, type ConfigProblem } from '../../node-daemon/config/problem.js';
import type { PullTarget } from './pull-config.js';

const TOKEN = /^[\x21-\x7e]{1,4096}$/;

/**
 * Reads each pull target's `tokenFile` (a trailing newline is not part of the token). A file others may read or write
 * (any group/other permission bit) is refused like a bad key: the token lets its holder read everything the box
 * sends the county. Problems name the key (`pull[2].tokenFile`), never the token.
 */
export async function readPullTokens(targets: readonly PullTarget[]): Promise<{ ok: true; targets: PullTarget[] } | { ok: false; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const out: PullTarget[] = [];
  for (const [i, t] of targets.entries()) {
    if (t.tokenFile === undefined) {
      out.push(t);
      continue;
    }
    const file = t.tokenFile;
    const problem = (message: string, messageZh: string): void => {
      problems.push(makeProblem(['pull', i, 'tokenFile'], { message, messageZh, value: JSON.stringify(file) }));
    };
    try {
      const s = await stat(file);
      if (!s.isFile()) {
        problem(`${file} is not a file`, `${file} 不是文件`);
        continue;
      }
      if ((s.mode & 0o077) !== 0) {
        problem(`${file} may be read by others (mode ${(s.mode & 0o777).toString(8)}); chmod 600 ${file}`, `${file} 权限过宽 (应为 600)`);
        continue;
      }
      const token = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
      if (!TOKEN.test(token)) {
        problem(`${file} must hold one bearer token on one line (visible ASCII, no spaces)`, `${file} 应只含一行令牌`);
        continue;
      }
      out.push({ ...t, token });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problem(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)}`, `无法读取 ${file}`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, targets: out };
}
