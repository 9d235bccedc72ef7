import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError, type Problem } from '../api.js';
import { lang, t, tk } from '../i18n.js';

/**
 * A modal dialog (plain div with role=dialog: <dialog> on Chrome 61 works but has no ::backdrop styling worth the
 * trouble). Focus moves into it on open; Escape cancels.
 */
export function Dialog(props: { title: ComponentChildren; onClose: () => void; children: ComponentChildren; testid?: string }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    const first = el === null ? null : el.querySelector<HTMLElement>('input, textarea, select, button');
    if (first !== null) first.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') props.onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  const titleId = useId('dlg');
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={box} data-testid={props.testid}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Asks before something that sounds the sirens. */
export function Confirm(props: { title: string; text: string; onOk: () => void; onCancel: () => void; busy?: boolean }): JSX.Element {
  return (
    <Dialog title={props.title} onClose={props.onCancel} testid="confirm-dialog">
      <p class="confirm-text">{props.text}</p>
      <div class="actions">
        <button type="button" class="btn" onClick={props.onCancel} data-testid="confirm-cancel">
          {t('cancel')}
        </button>
        <button type="button" class="btn btn-danger" onClick={props.onOk} disabled={props.busy === true} data-testid="confirm-ok">
          {t('confirm')}
        </button>
      </div>
    </Dialog>
  );
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('networkError');
    if (err.status === 403) return err.code === 'csrf' ? t('sessionExpired') : t('forbidden');
    if (err.status === 401) return t('sessionExpired');
    return err.message !== '' ? `${t('requestFailed', { status: err.status })}: ${err.message}` : t('requestFailed', { status: err.status });
  }
  return t('error', { msg: err instanceof Error ? err.message : String(err) });
}

export function ErrorBox(props: { error: unknown }): JSX.Element | null {
  if (props.error === undefined || props.error === null) return null;
  const problems: readonly Problem[] = props.error instanceof ApiError ? props.error.problems : [];
  return (
    <div class="notice notice-error" role="alert" data-testid="error-box">
      <div>{errorText(props.error)}</div>
      {problems.length > 0 && (
        <ul class="problems" data-testid="problem-list">
          {problems.map((p, i) => (
            <li key={i} data-testid="problem">
              {p.path !== '' && <code>{p.path}</code>} {lang() === 'zh-CN' && p.messageZh !== undefined ? p.messageZh : p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice(props: { kind?: 'ok' | 'info' | 'warn'; children: ComponentChildren; testid?: string }): JSX.Element {
  return (
    <div class={`notice notice-${props.kind !== undefined ? props.kind : 'info'}`} role="status" data-testid={props.testid}>
      {props.children}
    </div>
  );
}

export function Quality(props: { q: string | undefined }): JSX.Element {
  const q = props.q !== undefined ? props.q : 'unknown';
  return <span class={`chip q-${q}`}>{tk(`quality_${q}`)}</span>;
}

export function LevelChip(props: { level: string | null | undefined }): JSX.Element {
  const level = props.level !== null && props.level !== undefined ? props.level : 'normal';
  return <span class={`chip lvl-${level}`}>{tk(`level_${level}`)}</span>;
}

export function Card(props: { title?: ComponentChildren; children: ComponentChildren; class?: string; testid?: string }): JSX.Element {
  return (
    <section class={`card ${props.class !== undefined ? props.class : ''}`} data-testid={props.testid}>
      {props.title !== undefined && <h2 class="card-title">{props.title}</h2>}
      {props.children}
    </section>
  );
}

let fieldSeq = 0;
/** A stable id for label/for pairs. */
export function useId(prefix: string): string {
  const ref = useRef<string | null>(null);
  if (ref.current === null) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}
