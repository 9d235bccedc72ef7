import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { ErrorBox, Notice } from './ui.js';

/** What a form that posts keeps: busy while the request runs, what the UI refused, what the daemon answered. */
export interface FormAction {
  readonly busy: boolean;
  /** The daemon's refusal (or a network error), for the ErrorBox. */
  readonly error: unknown;
  /** What the UI itself refused before asking the daemon (e.g. a missing name). */
  readonly local: string | undefined;
  /** The last run succeeded. */
  readonly done: boolean;
  /** Shows `message` as the UI's own refusal; nothing is sent. */
  refuse(message: string): void;
  /** Forgets the last outcome (a form passed its own checks and moves on to a confirmation). */
  clear(): void;
  /** Clears the last outcome, then runs `work` with busy set; resolves true when it succeeded, false when it threw (kept in `error`). */
  run(work: () => Promise<void>): Promise<boolean>;
}

export function useFormAction(): FormAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [local, setLocal] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);
  return {
    busy,
    error,
    local,
    done,
    refuse: (message) => {
      setError(undefined);
      setDone(false);
      setLocal(message);
    },
    clear: () => {
      setError(undefined);
      setDone(false);
      setLocal(undefined);
    },
    run: async (work) => {
      setBusy(true);
      setDone(false);
      setError(undefined);
      setLocal(undefined);
      try {
        await work();
        setDone(true);
        return true;
      } catch (err) {
        setError(err);
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}

/**
 * How a form's last run ended: the UI's own refusal (`local`), the daemon's (with its problems), or, when `done` is
 * given, its text in a green notice after a success.
 */
export function FormOutcome(props: { action: FormAction; done?: { readonly text: string; readonly testid: string } }): JSX.Element {
  const { action, done } = props;
  return (
    <>
      {action.local !== undefined && (
        <div class="notice notice-error" role="alert">
          {action.local}
        </div>
      )}
      <ErrorBox error={action.error} />
      {done !== undefined && action.done && (
        <Notice kind="ok" testid={done.testid}>
          {done.text}
        </Notice>
      )}
    </>
  );
}

/** A dialog's button row: 取消 first, then the dialog's own buttons. */
export function DialogActions(props: { onCancel: () => void; cancelTestid?: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class="actions">
      <button type="button" class="btn" onClick={props.onCancel} data-testid={props.cancelTestid}>
        {t('cancel')}
      </button>
      {props.children}
    </div>
  );
}
