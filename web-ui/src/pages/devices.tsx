import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import type { System } from '../api.js';
import { Card, Notice, Quality } from '../components/ui.js';
import { bytes, formatDuration, formatTime, metres, timeZone } from '../format.js';
import { t, tk } from '../i18n.js';
import { refreshSystem, useStore } from '../store.js';
import { budgetText, imagesText, lastContactText, laneRows, syncNotices, syncTone, type SyncView } from '../sync-view.js';
import { OutputsState } from './broadcast.js';
import { Sl651Card } from './sl651-card.js';
import { BackupCard } from './backup-card.js';
import { UpdateCard } from './update-card.js';

/** The county link (`sync` of /health): state, hub, last contact, backlog per lane, budget, refusals. */
function SyncCard(props: { sync: SyncView }): JSX.Element {
  const s = props.sync;
  const tone = syncTone(s.state);
  return (
    <Card title={t('sync')} testid="sync-card">
      {syncNotices(s).map((n) => (
        <Notice key={n.testid} kind={n.kind} testid={n.testid}>
          {n.text}
        </Notice>
      ))}
      <dl class="facts">
        <dt>{t('syncLink')}</dt>
        <dd>
          <span class={`chip ${tone === 'ok' ? 'q-good' : tone === 'warn' ? 'q-bad' : 'q-suspect'}`} data-testid="sync-state" data-state={s.state}>
            {tk(`syncState_${s.state}`)}
          </span>
          {s.nextAttemptAt !== undefined && <span class="sub"> {t('syncNextAttempt', { time: formatTime(s.nextAttemptAt, 'short') })}</span>}
        </dd>
        {s.hub !== undefined && (
          <>
            <dt>{t('syncHub')}</dt>
            <dd data-testid="sync-hub">{s.hub}</dd>
          </>
        )}
        {s.boxId !== undefined && (
          <>
            <dt>{t('syncBoxId')}</dt>
            <dd data-testid="sync-box">{s.boxId}</dd>
          </>
        )}
        {s.state !== 'not_enrolled' && (
          <>
            <dt>{t('syncLastContact')}</dt>
            <dd data-testid="sync-last-contact">{lastContactText(s)}</dd>
          </>
        )}
        <dt>
          {t('syncBudget')}
          {t('colon')}
          {t('syncBudgetToday')}
        </dt>
        <dd data-testid="sync-budget-day">{budgetText(s.budget.dayBytes, s.budget.dailyBytes)}</dd>
        <dt>
          {t('syncBudget')}
          {t('colon')}
          {t('syncBudgetMonth')}
        </dt>
        <dd data-testid="sync-budget-month">{budgetText(s.budget.monthBytes, s.budget.monthlyBytes)}</dd>
        {s.images !== undefined && (
          <>
            <dt>{t('syncImages')}</dt>
            <dd data-testid="sync-images" data-state={s.images.state}>
              {imagesText(s)}
            </dd>
          </>
        )}
        {s.tlsPin !== undefined && (
          <>
            <dt>{t('syncTlsPin')}</dt>
            <dd class="sub" data-testid="sync-pin">{s.tlsPin}</dd>
          </>
        )}
      </dl>
      {s.lastError !== undefined && s.state !== 'up' && (
        <p class="err" data-testid="sync-last-error">
          {t('lastError')}
          {t('colon')}
          {s.lastError.message}
          {t('paren', { v: formatTime(s.lastError.ts, 'short') })}
        </p>
      )}
      <table class="table" data-testid="sync-backlog">
        <caption>{t('syncBacklog')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('syncLane')}</th>
            <th scope="col">{t('syncRecords')}</th>
            <th scope="col">{t('syncBytes')}</th>
            <th scope="col">{t('syncOldest')}</th>
          </tr>
        </thead>
        <tbody>
          {laneRows(s).map((r) => (
            <tr key={r.lane} data-testid="sync-lane" data-lane={r.lane}>
              <th scope="row">{r.name}</th>
              <td>{r.records}</td>
              <td>{r.size}</td>
              <td>{r.oldest}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.setAside !== undefined && s.setAside.count > 0 && (
        <div data-testid="sync-set-aside">
          <p class="err">
            {t('syncRefusals')}
            {t('colon')}
            {t('syncRefusalsValue', { n: s.setAside.count })}
          </p>
          <ul class="rows">
            {s.setAside.recent
              .slice(-5)
              .reverse()
              .map((r) => (
                <li key={r.seq} class="sub">
                  {t('syncRefusedRecord', { seq: r.seq, kind: r.kind, reason: r.reason })} · {formatTime(r.at, 'short')}
                </li>
              ))}
          </ul>
        </div>
      )}
    </Card>
  );
}

/** The box itself (GET /system); before it answers (or where the route is absent) what /health also says. */
function SystemCard(props: { system: System | null | undefined; uptimeS: number | undefined; disk: { freeBytes: number; totalBytes: number } | undefined; version: string | undefined }): JSX.Element {
  const sys = props.system;
  const known = sys !== null && sys !== undefined ? sys : undefined;
  const m = known !== undefined ? known.memory : undefined;
  const u = known !== undefined ? known.uptime : undefined;
  const c = known !== undefined ? known.clock : undefined;
  const d = known !== undefined ? known.disk : props.disk;
  const synced = c === undefined || c.synchronized === null ? undefined : c.synchronized;
  const version = known !== undefined ? known.version : props.version;
  return (
    <Card title={t('health')} testid="system-card">
      {sys === null && <Notice kind="warn">{t('systemUnavailable')}</Notice>}
      <dl class="facts">
        <dt>{t('disk')}</dt>
        <dd data-testid="sys-disk">{d !== undefined ? t('diskFree', { free: bytes(d.freeBytes), total: bytes(d.totalBytes) }) : '—'}</dd>
        {m !== undefined && (
          <>
            <dt>{t('memory')}</dt>
            <dd data-testid="sys-memory">{t('memoryValue', { rss: bytes(m.rssBytes), free: bytes(m.systemFreeBytes), total: bytes(m.systemTotalBytes) })}</dd>
          </>
        )}
        <dt>{t('uptime')}</dt>
        <dd data-testid="sys-uptime">{t('uptimeValue', { p: formatDuration(u !== undefined ? u.processS : props.uptimeS), s: formatDuration(u !== undefined ? u.systemS : undefined) })}</dd>
        <dt>{t('clock')}</dt>
        <dd data-testid="sys-clock">
          {synced === undefined ? t('unknown') : synced ? t('clockSynced') : <span class="err">{t('clockNotSynced')}</span>}
          {c !== undefined && c.source !== 'unknown' ? t('paren', { v: c.source }) : ''} · {formatTime(Date.now())}
        </dd>
        <dt>{t('timeZone')}</dt>
        <dd>{timeZone()}</dd>
        <dt>{t('version')}</dt>
        <dd>{version !== undefined ? version : '—'}</dd>
      </dl>
    </Card>
  );
}

export function DevicesPage(): JSX.Element {
  const s = useStore();
  const h = s.health;
  useEffect(() => {
    void refreshSystem();
    const timer = window.setInterval(() => void refreshSystem(), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  const o = s.outputs;
  return (
    <div data-testid="devices-page">
      {h !== undefined && (
        <Notice kind={h.status === 'ok' ? 'ok' : 'warn'} testid="health-status">
          {t('health')}
          {t('colon')}
          {h.status === 'ok' ? t('healthOk') : t('healthDegraded')}
          {h.storage.lastError !== undefined ? ` · ${t('storage')}${t('colon')}${h.storage.lastError}` : ''}
        </Notice>
      )}
      <div class="two-col">
        <Card title={t('buses')} testid="buses">
          <ul class="rows">
            {h !== undefined &&
              h.buses.map((b) => (
                <li key={b.id} data-testid="bus-row">
                  <strong>{b.id}</strong> <span class={`chip bus-${b.state}`}>{tk(`busState_${b.state}`)}</span>
                  <div class="sub">
                    {b.type.toUpperCase()} {b.endpoint} · {t('counters', { req: b.counters.requests, res: b.counters.responses, to: b.counters.timeouts })}
                  </div>
                  {b.lastError !== undefined && (
                    <div class="err">
                      {t('lastError')}
                    {t('colon')}
                    {b.lastError.message}
                      {t('paren', { v: formatTime(b.lastError.ts, 'short') })}
                    </div>
                  )}
                </li>
              ))}
          </ul>
        </Card>
        <Card title={t('sensors')} testid="sensors">
          <ul class="rows">
            {h !== undefined &&
              h.sensors.map((x) => (
                <li key={x.id} data-testid="sensor-row">
                  <strong>{x.name !== undefined ? x.name : x.id}</strong> <Quality q={x.status} />{' '}
                  {x.breaker !== 'closed' && (
                    <span class="chip q-bad">
                      {t('breaker')} {tk(`breaker_${x.breaker}`)}
                    </span>
                  )}
                  <div class="sub">
                    {x.id} · {x.bus} #{x.slave} · {x.lastReading !== undefined ? `${metres(x.lastReading.value)} · ${formatTime(x.lastReading.ts, 'short')}` : t('noReading')}
                  </div>
                  {x.lastError !== undefined && (
                    <div class="err">
                      {t('lastError')}
                    {t('colon')}
                    {x.lastError.message}
                    </div>
                  )}
                </li>
              ))}
          </ul>
        </Card>
      </div>
      {o !== null && o !== undefined && (o.ioBoard !== null || o.relays.length > 0) && (
        <Card title={t('ioBoard')} testid="io-board">
          {o.ioBoard !== null && <p>{tk(`conn_${o.ioBoard.connection}`)}</p>}
          <ul class="rows">
            {o.relays.map((r) => (
              <li key={r.name} data-testid="relay-row">
                <strong>{r.name}</strong> (pin {r.pin}) <span class={`chip ${r.on ? 'q-suspect' : ''}`}>{r.on ? t('relayOn') : t('relayOff')}</span> <span class={`chip ${r.confirmed ? 'q-good' : 'q-bad'}`}>{r.confirmed ? t('relayConfirmed') : t('relayUnconfirmed')}</span>
                {r.lastError !== null && <div class="err">{r.lastError}</div>}
              </li>
            ))}
          </ul>
        </Card>
      )}
      {h !== undefined && h.sync !== undefined && <SyncCard sync={h.sync} />}
      {h !== undefined && h.uplinks !== undefined && h.uplinks.sl651.length > 0 && <Sl651Card centres={h.uplinks.sl651} />}
      {h !== undefined && h.backup !== undefined && <BackupCard backup={h.backup} />}
      {h !== undefined && h.update !== undefined && <UpdateCard update={h.update} />}
      <OutputsState outputs={o} />
      <SystemCard system={s.system} uptimeS={h !== undefined ? h.uptimeS : undefined} disk={h !== undefined ? h.disk : undefined} version={h !== undefined ? h.version : undefined} />
      {h !== undefined && h.storage.lastCommitTs !== undefined && (
        <p class="hint">
          {t('storage')}
          {t('colon')}
          {t('lastCommit', { time: formatTime(h.storage.lastCommitTs) })} · {t('storagePending', { n: h.storage.pendingWrites })}
        </p>
      )}
    </div>
  );
}
