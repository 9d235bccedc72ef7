import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, post, type NewUserBody, type NoContent, type PasswordBody, type Role, type User, type UserCreated, type UserList } from '../api.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Card, Confirm, Dialog, ErrorBox, Notice, useId } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t, tk } from '../i18n.js';
import { useStore } from '../store.js';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const MIN_PASSWORD = 8;

/** Sets a new password for one account (`POST /users/:name/password`); the account's other sessions end. */
function PasswordDialog(props: { name: string; onClose: () => void; onDone: () => void }): JSX.Element {
  const [password, setPassword] = useState('');
  const act = useFormAction();
  const id = useId('new-password');
  const submit = (e: Event): void => {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return act.refuse(t('passwordTooShort'));
    void act.run(async () => {
      await post<NoContent, PasswordBody>(`/users/${encodeURIComponent(props.name)}/password`, { password });
      props.onDone();
    });
  };
  return (
    <Dialog title={t('userPasswordTitle', { name: props.name })} onClose={props.onClose} testid="password-dialog">
      <form onSubmit={submit} data-testid="password-form">
        <label for={id}>
          {t('newPassword')} <span class="hint">{t('paren', { v: t('passwordRule') })}</span>
        </label>
        <input id={id} type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="password-input" />
        <FormOutcome action={act} />
        <DialogActions onCancel={props.onClose} cancelTestid="password-cancel">
          <button type="submit" class="btn btn-primary" disabled={act.busy} data-testid="password-submit">
            {t('userResetPassword')}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function CreateUser(props: { onCreated: (name: string) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const act = useFormAction();
  const ids = { name: useId('u-name'), password: useId('u-password'), role: useId('u-role') };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (name.trim() === '') return act.refuse(t('nameRequired'));
    if (password.length < MIN_PASSWORD) return act.refuse(t('passwordTooShort'));
    void act.run(async () => {
      await post<UserCreated, NewUserBody>('/users', { name: name.trim(), password, role });
      props.onCreated(name.trim());
      setName('');
      setPassword('');
    });
  };
  return (
    <form onSubmit={submit} data-testid="user-create-form">
      <h3 class="sub-title">{t('userCreate')}</h3>
      <div class="field-row">
        <div class="field">
          <label for={ids.name}>{t('userName')}</label>
          <input id={ids.name} autoComplete="off" maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="user-new-name" />
        </div>
        <div class="field">
          <label for={ids.password}>
            {t('password')} <span class="hint">{t('paren', { v: t('passwordRule') })}</span>
          </label>
          <input id={ids.password} type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="user-new-password" />
        </div>
        <div class="field">
          <label for={ids.role}>{t('userRole')}</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} data-testid="user-new-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {tk(`role_${r}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FormOutcome action={act} />
      <button type="submit" class="btn btn-primary" disabled={act.busy} data-testid="user-create-submit">
        {t('userCreateSubmit')}
      </button>
    </form>
  );
}

/** 用户: every account with its role; add, delete (confirmed; the daemon keeps the last admin), reset a password. */
export function UsersSection(): JSX.Element {
  const s = useStore();
  const me = s.auth !== undefined && s.auth.user !== undefined ? s.auth.user.name : '';
  const [users, setUsers] = useState<readonly User[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [deleting, setDeleting] = useState<string | undefined>(undefined);
  const [resetting, setResetting] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const load = (): void => {
    get<UserList>('/users').then(
      (body) => setUsers(body.users),
      (e: unknown) => setError(e),
    );
  };
  useEffect(load, []);

  const remove = async (name: string): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await del<NoContent>(`/users/${encodeURIComponent(name)}`);
      setDone(t('userDeleted', { name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setDeleting(undefined);
      load();
    }
  };

  return (
    <Card title={t('settingsUsers')} testid="users-card">
      <ErrorBox error={error} />
      {done !== undefined && (
        <Notice kind="ok" testid="users-done">
          {done}
        </Notice>
      )}
      {users === undefined ? (
        error === undefined && <p class="loading">{t('loading')}</p>
      ) : (
        <ul class="rows" data-testid="user-list">
          {users.map((u) => (
            <li key={u.name} class="user-row" data-testid="user-row" data-user-name={u.name} data-role={u.role}>
              <div class="user-row-main">
                <strong data-testid="user-name">{u.name}</strong>
                {u.name === me ? <span class="sub">{t('userYou')}</span> : null} <span class={`chip role-${u.role}`} data-testid="user-role">{tk(`role_${u.role}`)}</span>
                <div class="sub">
                  {t('userCreatedAt')} {formatTime(u.createdAt, 'short')}
                </div>
              </div>
              <div class="user-row-actions">
                <button type="button" class="btn" onClick={() => setResetting(u.name)} data-testid="user-password-button">
                  {t('userResetPassword')}
                </button>
                <button type="button" class="btn btn-danger" onClick={() => setDeleting(u.name)} data-testid="user-delete-button">
                  {t('userDelete')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <CreateUser
        onCreated={(name) => {
          setError(undefined);
          setDone(t('userCreated', { name }));
          load();
        }}
      />
      {deleting !== undefined && <Confirm title={t('confirmTitle')} text={t('userDeleteConfirm', { name: deleting })} onOk={() => void remove(deleting)} onCancel={() => setDeleting(undefined)} busy={busy} />}
      {resetting !== undefined && (
        <PasswordDialog
          name={resetting}
          onClose={() => setResetting(undefined)}
          onDone={() => {
            setError(undefined);
            setDone(t('userPasswordDone', { name: resetting }));
            setResetting(undefined);
            load();
          }}
        />
      )}
    </Card>
  );
}
