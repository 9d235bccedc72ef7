import type { CliIo } from '../../node-daemon/core/cli-io.js';
import { newPasswordSchema, userNameSchema } from '../../node-daemon/http/routes/auth.js';
import type { HubConfig } from '../config.js';
import { withHubStore } from '../cli-verbs.js';
import { AccountExistsError } from './account-store.js';
import { createHubAccounts } from './accounts.js';
import { readNewPassword } from './password-input.js';
import { isHubRole } from './names.js';
import { HUB_ROLES } from './roles.js';

export const ACCOUNT_USAGE = `  fenghuo hub account add NAME --role viewer|duty|admin [--config FILE]
      Make an account for the hub's page and API. The password is the first line of stdin when stdin is not a
      terminal, else asked twice. This is how the county makes its first admin (there is no default password).
  fenghuo hub account passwd NAME [--config FILE]
      Set a new password (read the same way); every session of the account ends.
  fenghuo hub account list [--config FILE]
      The accounts, their roles and whether they are disabled.`;

/** Exit status: 0 done, 1 failure while running, 2 a bad name, role, password or command line. */
export async function accountCommand(
  args: readonly string[],
  values: { readonly role?: string | undefined },
  loadConfig: () => Promise<HubConfig | number>,
  io: CliIo,
  readPassword: (what: string) => Promise<string> = readNewPassword,
): Promise<number> {
  const [sub, name, ...rest] = args;
  const usage = (message: string): number => {
    io.err(`fenghuo hub: ${message}`);
    io.err(ACCOUNT_USAGE);
    return 2;
  };
  if (rest.length > 0) return usage(`unexpected ${rest.join(' ')}`);
  if (sub === 'list') {
    if (name !== undefined) return usage('hub account list takes no name');
  } else if (sub === 'add' || sub === 'passwd') {
    if (name === undefined) return usage(`hub account ${sub} needs a NAME`);
    const checked = userNameSchema.safeParse(name);
    if (!checked.success) return usage(`${JSON.stringify(name)}: ${checked.error.issues[0]?.message ?? 'not a name'}`);
  } else {
    return usage(sub === undefined ? 'hub account needs add, passwd or list' : `unknown "hub account ${sub}"`);
  }
  if (sub === 'add' && !isHubRole(values.role)) return usage(`hub account add needs --role ${HUB_ROLES.join('|')}${values.role === undefined ? '' : ` (got ${values.role})`}`);
  if (sub !== 'add' && values.role !== undefined) return usage('--role goes with hub account add');

  const cfg = await loadConfig();
  if (typeof cfg === 'number') return cfg;
  return withHubStore(cfg, async (store) => {
    const { accounts } = createHubAccounts(store.sql);
    if (sub === 'list') {
      for (const a of await accounts.list()) io.out(`${a.name}\t${a.role}${a.disabledAt === null ? '' : `\tdisabled ${new Date(a.disabledAt).toISOString()}`}`);
      return 0;
    }
    const accountName = name!;
    const existing = await accounts.get(accountName);
    if (sub === 'add' && existing !== undefined) {
      io.err(`fenghuo hub: an account named ${existing.name} exists already (fenghuo hub account passwd ${existing.name} sets its password)`);
      return 2;
    }
    if (sub === 'passwd' && existing === undefined) {
      io.err(`fenghuo hub: no account ${JSON.stringify(accountName)} at this hub`);
      return 2;
    }
    let password: string;
    try {
      password = await readPassword(`Password for ${accountName} / ${accountName} 的密码`);
    } catch (err) {
      io.err(`fenghuo hub: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    const pw = newPasswordSchema.safeParse(password);
    if (!pw.success) {
      io.err(`fenghuo hub: password refused: ${pw.error.issues.map((i) => i.message).join('; ')}`);
      return 2;
    }
    if (sub === 'add') {
      try {
        const made = await accounts.create(accountName, pw.data, values.role as (typeof HUB_ROLES)[number]);
        io.out(`account ${made.name} (${made.role}) created`);
        return 0;
      } catch (err) {
        if (err instanceof AccountExistsError) {
          io.err(`fenghuo hub: ${err.message}`);
          return 2;
        }
        throw err;
      }
    }
    const changed = await accounts.change(accountName, { password: pw.data });
    if (changed.status !== 'updated') {
      io.err(`fenghuo hub: no account ${JSON.stringify(accountName)} at this hub any more`);
      return 2;
    }
    io.out(`password of ${changed.account.name} set; its sessions ended`);
    return 0;
  });
}
