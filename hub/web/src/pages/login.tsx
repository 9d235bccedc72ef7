import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorBox, useId } from '../../../../web-ui/src/components/ui.js';
import { ApiError, login } from '../hub-api.js';
import { t } from '../text.js';
import type { SignedIn } from '../types.js';

/** Sign-in. With no account at all, it says how the county makes its first admin (on the hub machine, the CLI). */
export function LoginPage(props: { onDone: (s: SignedIn) => void; notice?: string; noAccounts: boolean }): JSX.Element {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const ids = { name: useId('login-name'), pw: useId('login-pw') };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setRefusal(undefined);
    setError(undefined);
    try {
      props.onDone(await login(name.trim(), pw));
    } catch (err) {
      const body = err instanceof ApiError && typeof err.body === 'object' && err.body !== null ? (err.body as { error?: { triesLeft?: number; retryAfterMs?: number } }).error : undefined;
      if (err instanceof ApiError && err.status === 429) setRefusal(t('loginWait', { s: Math.ceil((body?.retryAfterMs ?? 1000) / 1000) }));
      else if (err instanceof ApiError && err.status === 401) setRefusal(t('loginBad', { n: body?.triesLeft ?? 0 }));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit} data-testid="login-form">
        <h1>{t('loginTitle')}</h1>
        {props.notice !== undefined && <p class="notice notice-info">{props.notice}</p>}
        {props.noAccounts && (
          <p class="notice notice-warn" data-testid="no-accounts">
            {t('noAccounts')} <code>fenghuo hub account add NAME --role admin</code>
          </p>
        )}
        <label for={ids.name}>{t('userName')}</label>
        <input id={ids.name} name="name" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="login-name" />
        <label for={ids.pw}>{t('password')}</label>
        <input id={ids.pw} name="password" type="password" autoComplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} data-testid="login-password" />
        {refusal !== undefined && (
          <div class="notice notice-error" role="alert" data-testid="login-error">
            {refusal}
          </div>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {t('loginSubmit')}
        </button>
      </form>
    </main>
  );
}
