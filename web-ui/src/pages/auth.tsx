import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, login, setup, type Session } from '../api.js';
import { ErrorBox, useId } from '../components/ui.js';
import { t } from '../i18n.js';

/** First run: the box has no user; whoever opens it first creates the admin (there is no default password). */
export function SetupPage(props: { onDone: (s: Session) => void; onExists: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [local, setLocal] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId('setup-name'), pw: useId('setup-pw'), pw2: useId('setup-pw2'), rule: useId('setup-rule') };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    if (pw.length < 8) return setLocal(t('passwordTooShort'));
    if (pw !== pw2) return setLocal(t('passwordMismatch'));
    setLocal(undefined);
    setBusy(true);
    try {
      props.onDone(await setup(name.trim(), pw));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) props.onExists();
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit} data-testid="setup-form">
        <h1>{t('setupTitle')}</h1>
        <p>{t('setupIntro')}</p>
        <label for={ids.name}>{t('userName')}</label>
        <input id={ids.name} name="name" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="setup-name" />
        <label for={ids.pw}>{t('password')}</label>
        <input id={ids.pw} name="password" type="password" autoComplete="new-password" required minLength={8} aria-describedby={ids.rule} value={pw} onInput={(e) => setPw(e.currentTarget.value)} data-testid="setup-password" />
        <small id={ids.rule} class="hint">
          {t('passwordRule')}
        </small>
        <label for={ids.pw2}>{t('passwordAgain')}</label>
        <input id={ids.pw2} name="password2" type="password" autoComplete="new-password" required value={pw2} onInput={(e) => setPw2(e.currentTarget.value)} data-testid="setup-password2" />
        {local !== undefined && (
          <div class="notice notice-error" role="alert" data-testid="error-box">
            {local}
          </div>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="setup-submit">
          {t('setupSubmit')}
        </button>
      </form>
    </main>
  );
}

export function LoginPage(props: { onDone: (s: Session) => void; notice?: string }): JSX.Element {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId('login-name'), pw: useId('login-pw') };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      props.onDone(await login(name.trim(), pw));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('loginBad'));
      else if (err instanceof ApiError && err.status === 429) setError(t('loginRateLimited', { s: err.retryAfterS !== undefined ? err.retryAfterS : 60 }));
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit} data-testid="login-form">
        <h1>{t('loginTitle')}</h1>
        {props.notice !== undefined && <p class="notice notice-info">{props.notice}</p>}
        <label for={ids.name}>{t('userName')}</label>
        <input id={ids.name} name="name" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="login-name" />
        <label for={ids.pw}>{t('password')}</label>
        <input id={ids.pw} name="password" type="password" autoComplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} data-testid="login-password" />
        {error !== undefined && (
          <div class="notice notice-error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {t('loginSubmit')}
        </button>
      </form>
    </main>
  );
}
