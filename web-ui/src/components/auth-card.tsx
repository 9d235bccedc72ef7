import type { ComponentChildren, JSX } from 'preact';
import { useId } from './ui.js';

/**
 * The pages before the app (first run, sign-in, a start that failed): one card alone on the page. The box UI's
 * (pages/auth.tsx, app.tsx) and the county hub page's (hub/web/src) look and work the same.
 */

/** A form in the card, under its title. */
export function AuthForm(props: { title: string; testid: string; onSubmit: (e: Event) => void; children: ComponentChildren }): JSX.Element {
  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={props.onSubmit} data-testid={props.testid}>
        <h1>{props.title}</h1>
        {props.children}
      </form>
    </main>
  );
}

/** The name and password of a sign-in (labels in the caller's language). */
export function SignInFields(props: {
  name: string;
  password: string;
  onName: (name: string) => void;
  onPassword: (password: string) => void;
  labels: { readonly name: string; readonly password: string };
}): JSX.Element {
  const ids = { name: useId('login-name'), pw: useId('login-pw') };
  return (
    <>
      <label for={ids.name}>{props.labels.name}</label>
      <input id={ids.name} name="name" autoComplete="username" required value={props.name} onInput={(e) => props.onName(e.currentTarget.value)} data-testid="login-name" />
      <label for={ids.pw}>{props.labels.password}</label>
      <input id={ids.pw} name="password" type="password" autoComplete="current-password" required value={props.password} onInput={(e) => props.onPassword(e.currentTarget.value)} data-testid="login-password" />
    </>
  );
}

/** The start failed (the first request): what went wrong, and a button to try again. */
export function RetryCard(props: { message: string; retryLabel: string; onRetry: () => void }): JSX.Element {
  return (
    <main class="auth-page">
      <div class="card auth-card">
        <p class="notice notice-error" role="alert">
          {props.message}
        </p>
        <button type="button" class="btn btn-primary btn-block" onClick={props.onRetry}>
          {props.retryLabel}
        </button>
      </div>
    </main>
  );
}
