import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { AuthForm, SignInFields } from '../../../../web-ui/src/components/auth-card.js';
import { ErrorBox } from '../../../../web-ui/src/components/ui.js';
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
    <AuthForm title={t('loginTitle')} testid="login-form" onSubmit={submit}>
      {props.notice !== undefined && <p class="notice notice-info">{props.notice}</p>}
      {props.noAccounts && (
        <p class="notice notice-warn" data-testid="no-accounts">
          {t('noAccounts')} <code>fenghuo hub account add NAME --role admin</code>
        </p>
      )}
      <SignInFields name={name} password={pw} onName={setName} onPassword={setPw} labels={{ name: t('userName'), password: t('password') }} />
      {refusal !== undefined && (
        <div class="notice notice-error" role="alert" data-testid="login-error">
          {refusal}
        </div>
      )}
      <ErrorBox error={error} />
      <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
        {t('loginSubmit')}
      </button>
    </AuthForm>
  );
}
