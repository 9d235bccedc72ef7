import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, isAdmin, put, type AuditEntry, type AuditLog, type Settings, type SettingsChanged, type SettingsSection } from '../api.js';
import { Card, ErrorBox, Notice, useId } from '../components/ui.js';
import { formatTime, withMetreUnit } from '../format.js';
import { t } from '../i18n.js';
import { refreshSites, useStore } from '../store.js';
import { UsersSection } from './users.js';

/** A settings section as the editor handles it: plain JSON, checked by the daemon (like the config file) when saved. */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** A section as the daemon answered it (parsed JSON), for the editor. */
function asJson(v: unknown): Json {
  return v as Json;
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Reads `a.b.c` of a JSON value. */
function at(root: Json, path: readonly (string | number)[]): Json | undefined {
  let cur: Json | undefined = root;
  for (const p of path) {
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isObj(cur) && typeof p === 'string') cur = cur[p];
    else return undefined;
  }
  return cur;
}

/** Sets `a.b.c` in a copy, creating objects on the way. */
function setAt(root: Json, path: readonly (string | number)[], value: Json | undefined): Json {
  const copy = clone(root);
  let cur: Json = copy;
  path.forEach((p, i) => {
    const last = i === path.length - 1;
    if (Array.isArray(cur) && typeof p === 'number') {
      if (last) cur[p] = value === undefined ? null : value;
      else {
        const next = cur[p];
        if (typeof next !== 'object' || next === null) cur[p] = {};
        cur = cur[p] as Json;
      }
    } else if (isObj(cur) && typeof p === 'string') {
      if (last) {
        if (value === undefined) delete cur[p];
        else cur[p] = value;
      } else {
        const next = cur[p];
        if (typeof next !== 'object' || next === null) cur[p] = {};
        cur = cur[p] as Json;
      }
    }
  });
  return copy;
}

function NumberField(props: { label: string; value: Json | undefined; onChange: (v: number | undefined) => void; testid: string }): JSX.Element {
  const id = useId(props.testid);
  const [text, setText] = useState(typeof props.value === 'number' ? String(props.value) : '');
  useEffect(() => setText(typeof props.value === 'number' ? String(props.value) : ''), [props.value]);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        type="number"
        step="0.01"
        inputMode="decimal"
        value={text}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          const n = Number(v);
          props.onChange(v === '' ? undefined : isFinite(n) ? n : undefined);
        }}
        data-testid={props.testid}
      />
    </div>
  );
}

function TextField(props: { label: string; value: Json | undefined; onChange: (v: string | undefined) => void; testid: string; multiline?: boolean }): JSX.Element {
  const id = useId(props.testid);
  const value = typeof props.value === 'string' ? props.value : '';
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline === true ? (
        <textarea id={id} rows={2} value={value} onInput={(e) => props.onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)} data-testid={props.testid} />
      ) : (
        <input id={id} value={value} onInput={(e) => props.onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)} data-testid={props.testid} />
      )}
    </div>
  );
}

function ThresholdForm(props: { value: Json; onChange: (v: Json) => void }): JSX.Element {
  const sites = at(props.value, ['sites']);
  if (!Array.isArray(sites)) return <p class="empty">{t('noSites')}</p>;
  return (
    <div>
      {sites.map((site, i) => {
        const name = isObj(site) && typeof site.name === 'string' ? site.name : `#${i + 1}`;
        const id = isObj(site) && typeof site.id === 'string' ? site.id : String(i);
        const set = (path: (string | number)[]) => (v: Json | undefined) => props.onChange(setAt(props.value, ['sites', i, ...path], v));
        return (
          <fieldset class="site-fieldset" key={id} data-testid="threshold-site">
            <legend>
              {name} <code>{id}</code>
            </legend>
            <div class="field-row">
              <NumberField label={withMetreUnit(t('threshold_prepare'))} value={at(site, ['prepare', 'levelM'])} onChange={set(['prepare', 'levelM'])} testid={`threshold-${id}-prepare`} />
              <NumberField label={withMetreUnit(t('hysteresis'))} value={at(site, ['prepare', 'hysteresisM'])} onChange={set(['prepare', 'hysteresisM'])} testid={`threshold-${id}-prepare-hyst`} />
            </div>
            <div class="field-row">
              <NumberField label={withMetreUnit(t('threshold_evacuate'))} value={at(site, ['evacuate', 'levelM'])} onChange={set(['evacuate', 'levelM'])} testid={`threshold-${id}-evacuate`} />
              <NumberField label={withMetreUnit(t('hysteresis'))} value={at(site, ['evacuate', 'hysteresisM'])} onChange={set(['evacuate', 'hysteresisM'])} testid={`threshold-${id}-evacuate-hyst`} />
            </div>
          </fieldset>
        );
      })}
    </div>
  );
}

function DispatchForm(props: { value: Json; onChange: (v: Json) => void }): JSX.Element {
  const plans: { key: string; label: string }[] = [
    { key: 'evacuate', label: t('level_evacuate') },
    { key: 'prepare', label: t('level_prepare') },
    { key: 'allClear', label: t('allClear') },
  ];
  return (
    <div>
      {plans
        .filter((p) => at(props.value, [p.key]) !== undefined)
        .map((p) => (
          <fieldset class="site-fieldset" key={p.key} data-testid="dispatch-plan">
            <legend>{p.label}</legend>
            <TextField label={t('dispatchMessage')} multiline value={at(props.value, [p.key, 'message'])} onChange={(v) => props.onChange(setAt(props.value, [p.key, 'message'], v))} testid={`dispatch-${p.key}-message`} />
            <TextField label={t('dispatchLed')} value={at(props.value, [p.key, 'ledText'])} onChange={(v) => props.onChange(setAt(props.value, [p.key, 'ledText'], v))} testid={`dispatch-${p.key}-led`} />
          </fieldset>
        ))}
    </div>
  );
}

/** One settings section (alarms or dispatch): a form for the common fields, or the whole section as JSON. */
function SectionEditor(props: { section: SettingsSection; title: string; initial: Json; onSaved: (v: Json) => void }): JSX.Element {
  const [value, setValue] = useState<Json>(props.initial);
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [text, setText] = useState(JSON.stringify(props.initial, null, 2));
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const jsonId = useId(`json-${props.section}`);

  const switchMode = (next: 'form' | 'json'): void => {
    if (next === mode) return;
    if (next === 'json') setText(JSON.stringify(value, null, 2));
    else {
      try {
        setValue(JSON.parse(text) as Json);
      } catch (err) {
        setError(new Error(t('jsonInvalid', { msg: err instanceof Error ? err.message : String(err) })));
        return;
      }
    }
    setError(undefined);
    setMode(next);
  };

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setSaved(false);
    setError(undefined);
    let body: Json = value;
    if (mode === 'json') {
      try {
        body = JSON.parse(text) as Json;
      } catch (err) {
        setError(new Error(t('jsonInvalid', { msg: err instanceof Error ? err.message : String(err) })));
        return;
      }
    }
    setBusy(true);
    try {
      // The body is the section as edited: any JSON, refused with every problem listed (400) when it is not a valid section.
      const answer = await put<SettingsChanged, Json>(`/settings/${props.section}`, body);
      // The section as now in effect (defaults filled in), as GET /settings will give it.
      const next = asJson(answer.value);
      setValue(next);
      setText(JSON.stringify(next, null, 2));
      setSaved(true);
      props.onSaved(next);
      void refreshSites();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={props.title} testid={`settings-${props.section}`}>
      <div class="segmented" role="group" aria-label={props.title}>
        <button type="button" class={`btn ${mode === 'form' ? 'btn-primary' : ''}`} aria-pressed={mode === 'form'} onClick={() => switchMode('form')} data-testid={`${props.section}-form-mode`}>
          {t('formEditor')}
        </button>
        <button type="button" class={`btn ${mode === 'json' ? 'btn-primary' : ''}`} aria-pressed={mode === 'json'} onClick={() => switchMode('json')} data-testid={`${props.section}-json-mode`}>
          {t('jsonEditor')}
        </button>
      </div>
      <form onSubmit={save} data-testid={`${props.section}-settings-form`}>
        {mode === 'form' ? (
          props.section === 'alarms' ? (
            <ThresholdForm value={value} onChange={setValue} />
          ) : (
            <DispatchForm value={value} onChange={setValue} />
          )
        ) : (
          <>
            <label for={jsonId}>{t('jsonEditor')}</label>
            <textarea id={jsonId} class="json" rows={18} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid={`${props.section}-json`} />
          </>
        )}
        {error !== undefined && (
          <div>
            <p class="err">{t('problems')}</p>
            <ErrorBox error={error} />
          </div>
        )}
        {saved && (
          <Notice kind="ok" testid={`${props.section}-saved`}>
            {t('saved')}
          </Notice>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy} data-testid={`${props.section}-save`}>
          {t('save')}
        </button>
      </form>
    </Card>
  );
}

function AuditLog(props: { version: number }): JSX.Element {
  const [entries, setEntries] = useState<readonly AuditEntry[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    get<AuditLog>('/audit').then(
      (body) => setEntries(body.entries),
      (e: unknown) => setError(e),
    );
  }, [props.version]);
  return (
    <Card title={t('settingsAudit')} testid="audit-log">
      <ErrorBox error={error} />
      {entries === undefined ? (
        error === undefined && <p class="loading">{t('loading')}</p>
      ) : entries.length === 0 ? (
        <p class="empty">{t('noAudit')}</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">{t('auditWhen')}</th>
              <th scope="col">{t('auditWho')}</th>
              <th scope="col">{t('auditWhat')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="audit-row">
                <td>{formatTime(e.ts, 'short')}</td>
                <td>{e.by}</td>
                <td>{e.section}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function SettingsPage(): JSX.Element {
  const s = useStore();
  const [settings, setSettings] = useState<Settings | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [version, setVersion] = useState(0);
  const admin = s.auth !== undefined && isAdmin(s.auth);
  useEffect(() => {
    if (!admin) return;
    get<Settings>('/settings').then(setSettings, (e: unknown) => setError(e));
  }, [admin]);
  if (!admin) return <Notice kind="warn">{t('adminOnly')}</Notice>;
  return (
    <div data-testid="settings-page">
      <ErrorBox error={error} />
      {settings === undefined ? (
        error === undefined && <p class="loading">{t('loading')}</p>
      ) : (
        <>
          <SectionEditor section="alarms" title={t('settingsThresholds')} initial={asJson(settings.alarms)} onSaved={() => setVersion(version + 1)} />
          <SectionEditor section="dispatch" title={t('settingsDispatch')} initial={asJson(settings.dispatch)} onSaved={() => setVersion(version + 1)} />
        </>
      )}
      <UsersSection />
      <AuditLog version={version} />
    </div>
  );
}
