import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { FormOutcome, useFormAction } from '../../../../web-ui/src/components/form.js';
import { Card, ErrorBox, useId } from '../../../../web-ui/src/components/ui.js';
import { formatTime } from '../../../../web-ui/src/format.js';
import { accounts, changeAccount, createAccount } from '../hub-api.js';
import { t } from '../text.js';
import type { AccountBody, AccountSummary, HubRoleName } from '../types.js';
import { usePoll } from './boxes.js';

const ROLES: readonly HubRoleName[] = ['viewer', 'duty', 'admin'];

/** Admins: the county's accounts, a new one, a role changed, an account disabled or enabled again. */
export function AccountsPage(props: { account: AccountSummary }): JSX.Element {
  const [list, setList] = useState<readonly AccountBody[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [role, setRole] = useState<HubRoleName>('duty');
  const action = useFormAction();
  const rowAction = useFormAction();
  const ids = { name: useId('a-name'), pw: useId('a-pw'), role: useId('a-role') };
  const load = async (): Promise<void> => {
    try {
      setList((await accounts()).accounts);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, 60_000);
  const pickRole = (v: string): HubRoleName => ROLES.find((r) => r === v) ?? 'viewer';
  return (
    <>
      <Card title={t('accountsTitle')} testid="accounts">
        <ErrorBox error={error} />
        <FormOutcome action={rowAction} />
        {list !== undefined && (
          <table class="hub-table">
            <tbody>
              {list.map((a) => (
                <tr key={a.name} data-testid="account-row">
                  <td>{a.name}</td>
                  <td>
                    <select
                      aria-label={t('role')}
                      value={a.role}
                      disabled={rowAction.busy}
                      onChange={(e) => void rowAction.run(async () => void (await changeAccount(a.name, { role: pickRole(e.currentTarget.value) }), await load()))}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {t(`role_${r}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{a.disabledAt === null ? formatTime(a.createdAt, 'short') : `${t('disabled')} ${formatTime(a.disabledAt, 'short')}`}</td>
                  <td>
                    {a.name !== props.account.name && (
                      <button type="button" class="btn" disabled={rowAction.busy} onClick={() => void rowAction.run(async () => void (await changeAccount(a.name, { disabled: a.disabledAt === null }), await load()))}>
                        {a.disabledAt === null ? t('disable') : t('enable')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <form
        class="card"
        data-testid="account-form"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            await createAccount({ name: name.trim(), password: pw, role });
            setName('');
            setPw('');
            await load();
          });
        }}
      >
        <h2 class="card-title">{t('newAccount')}</h2>
        <label for={ids.name}>{t('userName')}</label>
        <input id={ids.name} type="text" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for={ids.pw}>{t('password')}</label>
        <input id={ids.pw} type="password" autoComplete="new-password" required minLength={8} value={pw} onInput={(e) => setPw(e.currentTarget.value)} />
        <label for={ids.role}>{t('role')}</label>
        <select id={ids.role} value={role} onChange={(e) => setRole(pickRole(e.currentTarget.value))}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role_${r}`)}
            </option>
          ))}
        </select>
        <FormOutcome action={action} done={{ text: t('created'), testid: 'account-created' }} />
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          {t('create')}
        </button>
      </form>
    </>
  );
}
