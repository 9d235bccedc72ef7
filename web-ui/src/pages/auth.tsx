import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, login, setup, type SignedIn } from '../api.js';
import { loginRefusal } from '../auth-refusal.js';
import { AuthForm, SignInFields } from '../components/auth-card.js';
import { ErrorBox, useId } from '../components/ui.js';
import { t } from '../i18n.js';
import { useStore } from '../store.js';

/** A refusal of the setup code: 401/403, or a 400 naming `setupCode`. */
function setupCodeRefused(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.status === 401 || err.status === 403 || err.problems.some((p) => p.path === 'setupCode') || /setup.?code/i.test(err.message);
}

/** First run: the box has no user; whoever opens it first creates the admin (there is no default password). */
export function SetupPage(props: { onDone: (s: SignedIn) => void; onExists: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [local, setLocal] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState('');
  const [badCode, setBadCode] = useState(false);
  // The box asks for its setup code (`setupCodeRequired` in /auth/state); a refusal naming `setupCode` asks too.
  const auth = useStore().auth;
  const [codeAsked, setCodeAsked] = useState(false);
  const needCode = codeAsked || (auth !== undefined && auth.setupCodeRequired === true);
  const ids = { name: useId('setup-name'), pw: useId('setup-pw'), pw2: useId('setup-pw2'), rule: useId('setup-rule'), code: useId('setup-code'), codeHint: useId('setup-code-hint') };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    if (pw.length < 8) return setLocal(t('passwordTooShort'));
    if (pw !== pw2) return setLocal(t('passwordMismatch'));
    if (needCode && code.trim() === '') {
      setBadCode(true);
      return setLocal(t('setupCodeMissing'));
    }
    setLocal(undefined);
    setBadCode(false);
    setBusy(true);
    try {
      props.onDone(await setup(name.trim(), pw, needCode ? code.trim() : undefined));
    } catch (err) {
      const refusal = err instanceof ApiError && err.status === 429 ? loginRefusal(err.status, err.body, err.retryAfterS) : undefined;
      if (err instanceof ApiError && err.status === 409) props.onExists();
      else if (refusal !== undefined && refusal.waitS !== undefined) setLocal(t('loginRateLimited', { s: refusal.waitS }));
      else if (err instanceof ApiError && (needCode ? setupCodeRefused(err) : err.problems.some((p) => p.path === 'setupCode'))) {
        setCodeAsked(true);
        setBadCode(true);
        setLocal(t(needCode ? 'setupCodeWrong' : 'setupCodeMissing'));
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthForm title={t('setupTitle')} testid="setup-form" onSubmit={submit}>
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
      {needCode && (
        <>
          <label for={ids.code}>{t('setupCode')}</label>
          <input
            id={ids.code}
            name="setupCode"
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            required
            value={code}
            aria-invalid={badCode}
            aria-describedby={ids.codeHint}
            onInput={(e) => setCode(e.currentTarget.value)}
            data-testid="setup-code"
          />
          <small id={ids.codeHint} class="hint" data-testid="setup-code-hint">
            {t('setupCodeHint')} <code class="nowrap">fenghuo setup-code</code>
          </small>
        </>
      )}
      {local !== undefined && (
        <div class="notice notice-error" role="alert" data-testid="error-box">
          {local}
        </div>
      )}
      <ErrorBox error={error} />
      <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid="setup-submit">
        {t('setupSubmit')}
      </button>
    </AuthForm>
  );
}

/** Ticks once a second until `until` (UTC ms) has passed; answers the whole seconds left. */
function useSecondsLeft(until: number | undefined): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until === undefined) return undefined;
    setNow(Date.now());
    const timer = window.setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= until) window.clearInterval(timer);
    }, 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return until === undefined ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

export function LoginPage(props: { onDone: (s: SignedIn) => void; notice?: string }): JSX.Element {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // After a 429 (or the failure that started a wait): no try until then, counted down on the page.
  const [waitUntil, setWaitUntil] = useState<number | undefined>(undefined);
  const [wasBad, setWasBad] = useState(false);
  const secondsLeft = useSecondsLeft(waitUntil);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    setWaitUntil(undefined);
    setBusy(true);
    try {
      props.onDone(await login(name.trim(), pw));
    } catch (err) {
      const refusal = err instanceof ApiError ? loginRefusal(err.status, err.body, err.retryAfterS) : undefined;
      if (refusal === undefined) setError(err instanceof Error ? err.message : String(err));
      else if (refusal.waitS !== undefined) {
        setWasBad(refusal.bad);
        setWaitUntil(Date.now() + refusal.waitS * 1000);
      } else {
        const left = refusal.triesLeft;
        setError(left === undefined ? t('loginBad') : left === 0 ? t('loginTriesNone') : left === 1 ? t('loginTriesLeftOne') : t('loginTriesLeft', { n: left }));
      }
    } finally {
      setBusy(false);
    }
  };
  const waiting = waitUntil !== undefined && secondsLeft > 0;
  const shown = waitUntil === undefined ? error : waiting ? t(wasBad ? 'loginBadWait' : 'loginRateLimited', { s: secondsLeft }) : t('loginWaitOver');

  return (
    <AuthForm title={t('loginTitle')} testid="login-form" onSubmit={submit}>
      {props.notice !== undefined && <p class="notice notice-info">{props.notice}</p>}
      <SignInFields name={name} password={pw} onName={setName} onPassword={setPw} labels={{ name: t('userName'), password: t('password') }} />
      {shown !== undefined && (
        <div class={`notice ${waitUntil !== undefined && !waiting ? 'notice-info' : 'notice-error'}`} role={waiting ? 'timer' : 'alert'} data-testid="login-error">
          {shown}
        </div>
      )}
      <button type="submit" class="btn btn-primary btn-block" disabled={busy || waiting} data-testid="login-submit">
        {t('loginSubmit')}
      </button>
    </AuthForm>
  );
}
