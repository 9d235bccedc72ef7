import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { FormOutcome, useFormAction } from '../../../../web-ui/src/components/form.js';
import { Card, Confirm, ErrorBox, useId } from '../../../../web-ui/src/components/ui.js';
import { formatTime } from '../../../../web-ui/src/format.js';
import { boxes, issue, orders } from '../hub-api.js';
import { t, tk } from '../text.js';
import type { AccountSummary, BoxOverview, IssueBody, OrderListItem } from '../types.js';
import { usePoll } from './boxes.js';

/** Which boxes an order is for: every box (`*`), or those ticked. */
function Targets(props: { boxes: readonly BoxOverview[]; value: '*' | string[]; onChange: (v: '*' | string[]) => void; testid: string }): JSX.Element {
  const all = props.value === '*';
  return (
    <fieldset data-testid={props.testid}>
      <legend>{t('targets')}</legend>
      <label class="check">
        <input type="checkbox" checked={all} onChange={(e) => props.onChange(e.currentTarget.checked ? '*' : [])} /> {t('allBoxes')}
      </label>
      {!all &&
        props.boxes
          .filter((b) => b.revokedAt === null)
          .map((b) => {
            const on = (props.value as string[]).indexOf(b.id) >= 0;
            return (
              <label key={b.id} class="check">
                <input type="checkbox" checked={on} onChange={() => props.onChange(on ? (props.value as string[]).filter((x) => x !== b.id) : [...(props.value as string[]), b.id])} /> {b.name ?? b.id}
              </label>
            );
          })}
    </fieldset>
  );
}

function CountyAlarmForm(props: { boxes: readonly BoxOverview[]; onIssued: () => void }): JSX.Element {
  const [level, setLevel] = useState<'prepare' | 'evacuate'>('prepare');
  const [title, setTitle] = useState('');
  const [message, setMessage] = useState('');
  const [drill, setDrill] = useState(true);
  const [to, setTo] = useState<'*' | string[]>('*');
  const [confirming, setConfirming] = useState(false);
  const [issuedId, setIssuedId] = useState('');
  const action = useFormAction();
  const ids = { title: useId('ca-title'), message: useId('ca-message'), level: useId('ca-level') };
  const send = async (): Promise<void> => {
    setConfirming(false);
    const body: IssueBody = { kind: 'county_alarm', to, body: { level, title: title.trim(), ...(message.trim() === '' ? {} : { message: message.trim() }), drill } };
    await action.run(async () => {
      setIssuedId((await issue(body)).id);
      props.onIssued();
    });
  };
  return (
    <form
      class="card"
      data-testid="county-alarm-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (title.trim() === '') return action.refuse(t('alarmTitleField'));
        if (to !== '*' && to.length === 0) return action.refuse(t('targets'));
        if (drill) void send();
        else setConfirming(true);
      }}
    >
      <h2 class="card-title">{t('issueAlarmTitle')}</h2>
      <label for={ids.level}>{t('alarmLevel')}</label>
      <select id={ids.level} value={level} onChange={(e) => setLevel(e.currentTarget.value === 'evacuate' ? 'evacuate' : 'prepare')} data-testid="ca-level">
        <option value="prepare">{t('level_prepare')}</option>
        <option value="evacuate">{t('level_evacuate')}</option>
      </select>
      <label for={ids.title}>{t('alarmTitleField')}</label>
      <input id={ids.title} type="text" maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="ca-title" />
      <label for={ids.message}>{t('alarmMessage')}</label>
      <textarea id={ids.message} maxLength={2000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} data-testid="ca-message" />
      <label class="check">
        <input type="checkbox" checked={drill} onChange={(e) => setDrill(e.currentTarget.checked)} data-testid="ca-drill" /> {t('drillCheck')}
      </label>
      <Targets boxes={props.boxes} value={to} onChange={setTo} testid="ca-targets" />
      <FormOutcome action={action} done={{ text: t('issued', { id: issuedId }), testid: 'ca-issued' }} />
      <button type="submit" class={`btn ${drill ? 'btn-drill' : 'btn-danger'}`} disabled={action.busy} data-testid="ca-submit">
        {drill ? `${t('issue')}（${t('drill')}）` : t('issue')}
      </button>
      {confirming && <Confirm title={t('issueAlarmTitle')} text={t('confirmReal')} onOk={() => void send()} onCancel={() => setConfirming(false)} busy={action.busy} />}
    </form>
  );
}

function ClearForm(props: { boxes: readonly BoxOverview[]; onIssued: () => void }): JSX.Element {
  const [alertId, setAlertId] = useState('');
  const [to, setTo] = useState<'*' | string[]>('*');
  const action = useFormAction();
  const id = useId('clear-id');
  return (
    <form
      class="card"
      data-testid="clear-form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          await issue({ kind: 'county_clear', to, body: { alertId: alertId.trim() } });
          props.onIssued();
        });
      }}
    >
      <h2 class="card-title">{t('clearTitle')}</h2>
      <label for={id}>{t('alertId')}</label>
      <input id={id} type="text" required value={alertId} onInput={(e) => setAlertId(e.currentTarget.value)} data-testid="clear-alert-id" />
      <Targets boxes={props.boxes} value={to} onChange={setTo} testid="clear-targets" />
      <FormOutcome action={action} done={{ text: t('issued', { id: alertId }), testid: 'clear-issued' }} />
      <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="clear-submit">
        {t('clearSubmit')}
      </button>
    </form>
  );
}

function NoticeForm(props: { boxes: readonly BoxOverview[]; onIssued: () => void }): JSX.Element {
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [announce, setAnnounce] = useState(false);
  const [led, setLed] = useState(true);
  const [to, setTo] = useState<'*' | string[]>('*');
  const action = useFormAction();
  const ids = { title: useId('n-title'), text: useId('n-text') };
  return (
    <form
      class="card"
      data-testid="notice-form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          await issue({ kind: 'notice', to, body: { title: title.trim(), text: text.trim(), announce, led } });
          props.onIssued();
        });
      }}
    >
      <h2 class="card-title">{t('noticeTitle')}</h2>
      <label for={ids.title}>{t('alarmTitleField')}</label>
      <input id={ids.title} type="text" required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="notice-title" />
      <label for={ids.text}>{t('noticeText')}</label>
      <textarea id={ids.text} required maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="notice-text" />
      <label class="check">
        <input type="checkbox" checked={announce} onChange={(e) => setAnnounce(e.currentTarget.checked)} /> {t('announce')}
      </label>
      <label class="check">
        <input type="checkbox" checked={led} onChange={(e) => setLed(e.currentTarget.checked)} /> {t('led')}
      </label>
      <Targets boxes={props.boxes} value={to} onChange={setTo} testid="notice-targets" />
      <FormOutcome action={action} done={{ text: t('published'), testid: 'notice-issued' }} />
      <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="notice-submit">
        {t('issue')}
      </button>
    </form>
  );
}

/** Admins only: a whole `alarms` or `dispatch` section, signed by the county; the box's refusals are listed. */
function SettingsForm(props: { boxes: readonly BoxOverview[]; onIssued: () => void }): JSX.Element {
  const [section, setSection] = useState<'alarms' | 'dispatch'>('alarms');
  const [json, setJson] = useState('{\n  \n}');
  const [to, setTo] = useState<'*' | string[]>('*');
  const action = useFormAction();
  const ids = { section: useId('s-section'), json: useId('s-json') };
  return (
    <form
      class="card"
      data-testid="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        let value: unknown;
        try {
          value = JSON.parse(json);
        } catch (err) {
          return action.refuse(t('jsonBad', { msg: err instanceof Error ? err.message : String(err) }));
        }
        void action.run(async () => {
          await issue({ kind: 'settings', to, body: { section, value } });
          props.onIssued();
        });
      }}
    >
      <h2 class="card-title">{t('settingsTitle')}</h2>
      <label for={ids.section}>{t('section')}</label>
      <select id={ids.section} value={section} onChange={(e) => setSection(e.currentTarget.value === 'dispatch' ? 'dispatch' : 'alarms')} data-testid="settings-section">
        <option value="alarms">{t('section_alarms')}</option>
        <option value="dispatch">{t('section_dispatch')}</option>
      </select>
      <label for={ids.json}>{t('sectionJson')}</label>
      <textarea id={ids.json} class="hub-json" spellcheck={false} value={json} onInput={(e) => setJson(e.currentTarget.value)} data-testid="settings-json" />
      <Targets boxes={props.boxes} value={to} onChange={setTo} testid="settings-targets" />
      <FormOutcome action={action} done={{ text: t('published'), testid: 'settings-issued' }} />
      <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="settings-submit">
        {t('issue')}
      </button>
    </form>
  );
}

function OrdersList(props: { list: readonly OrderListItem[] }): JSX.Element {
  if (props.list.length === 0) return <p class="empty">{t('noOrders')}</p>;
  return (
    <div class="table-wrap">
      <table class="hub-table" data-testid="orders-table">
        <thead>
          <tr>
            <th>#</th>
            <th>{t('nav_orders')}</th>
            <th>{t('targets')}</th>
            <th>{t('issuedBy')}</th>
            <th>{t('raisedAt')}</th>
            <th>{t('state')}</th>
          </tr>
        </thead>
        <tbody>
          {props.list.map((o) => {
            const body = (typeof o.body === 'object' && o.body !== null ? o.body : {}) as { title?: unknown; drill?: unknown; level?: unknown; alertId?: unknown };
            return (
              <tr key={o.seq} data-testid="order-row" data-kind={o.kind} data-order-id={o.id}>
                <td>{o.seq}</td>
                <td>
                  {tk(`kind_${o.kind}`)}
                  {body.drill === true && <span class="chip chip-drill"> {t('drill')}</span>}
                  {typeof body.level === 'string' && <span class={`chip lvl-${body.level}`}> {tk(`level_${body.level}`)}</span>}
                  {typeof body.title === 'string' && <div>{body.title}</div>}
                  {typeof body.alertId === 'string' && <div class="hint">{body.alertId}</div>}
                </td>
                <td>{o.to === '*' ? t('allBoxes') : o.to.join(', ')}</td>
                <td>{o.by}</td>
                <td>{formatTime(o.issuedAt, 'short')}</td>
                <td data-testid="order-delivery">
                  {t('delivered', { received: o.delivery.received, addressed: o.delivery.addressed })}
                  {o.delivery.boxes.map((d) => (
                    <div key={d.box} class="hint">
                      {d.box}: {d.received ? '✓' : '…'}
                    </div>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Issue county alarms (drill or real), clear them, notices, signed settings (admins); the orders and their delivery. */
export function OrdersPage(props: { account: AccountSummary }): JSX.Element {
  const [boxList, setBoxList] = useState<readonly BoxOverview[]>([]);
  const [list, setList] = useState<readonly OrderListItem[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const load = async (): Promise<void> => {
    try {
      const [b, o] = await Promise.all([boxes(), orders()]);
      setBoxList(b.boxes);
      setList(o.orders);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, 10_000);
  const reload = (): void => void load();
  const role = props.account.role;
  return (
    <>
      {role === 'viewer' ? (
        <p class="notice notice-info">{t('dutyOnly')}</p>
      ) : (
        <div class="hub-forms">
          <CountyAlarmForm boxes={boxList} onIssued={reload} />
          <ClearForm boxes={boxList} onIssued={reload} />
          <NoticeForm boxes={boxList} onIssued={reload} />
          {role === 'admin' ? <SettingsForm boxes={boxList} onIssued={reload} /> : <p class="notice notice-info">{t('adminOnly')}</p>}
        </div>
      )}
      <Card title={t('ordersTitle')} testid="orders">
        <ErrorBox error={error} />
        {list !== undefined && <OrdersList list={list} />}
      </Card>
    </>
  );
}
