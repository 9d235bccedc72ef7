import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, authState, bootstrap, canOperate, isAdmin, logout, setUnauthenticatedHandler, type Alarm, type SignedIn } from './api.js';
import { displayTitle } from './alarm-text.js';
import { RetryCard } from './components/auth-card.js';
import { errorText } from './components/ui.js';
import { lang, setLang, t, tk, type MsgKey } from './i18n.js';
import { ackSilences, evacuateStrip, stripStateKey, type EvacuateStrip as EvacuateStripState } from './night-alarm.js';
import { AlarmsPage } from './pages/alarms.js';
import { LoginPage, SetupPage } from './pages/auth.js';
import { BroadcastPage } from './pages/broadcast.js';
import { LibraryPage } from './pages/library.js';
import { RecordingsPage } from './pages/recordings.js';
import { DevicesPage } from './pages/devices.js';
import { OverviewPage } from './pages/overview.js';
import { SettingsPage } from './pages/settings.js';
import { SitePage } from './pages/site.js';
import { navigate, onLinkClick, useRoute, type Route } from './router.js';
import { onSoundChange, setAlarmSound, soundBlocked } from './sound.js';
import { applyBootstrap, refreshAll, resetAlarms, startLive, state, stopLive, update, useStore } from './store.js';

/** Unacknowledged and not shelved: what sounds and shows the red banner. */
export function sounding(alarms: readonly Alarm[], now: number): Alarm[] {
  return alarms.filter((a) => a.state === 'active' && !(a.shelvedUntil !== undefined && a.shelvedUntil > now));
}

const LEVEL_RANK: Record<string, number> = { evacuate: 2, prepare: 1 };

function AlarmBanner(): JSX.Element | null {
  const s = useStore();
  // Real alarms before drills, then the highest level, then the newest.
  const rank = (a: Alarm): number => (a.drill ? 0 : 10) + (LEVEL_RANK[a.level !== null ? a.level : ''] || 0);
  const list = sounding(s.activeAlarms, Date.now()).sort((a, b) => rank(b) - rank(a) || b.raisedAt - a.raisedAt);
  // Muting silences the alarms sounding now; a new one sounds again.
  const [mutedIds, setMutedIds] = useState<readonly number[]>([]);
  const [, setSoundVersion] = useState(0);
  const ids = list.map((a) => a.id);
  const muted = ids.length > 0 && ids.every((id) => mutedIds.indexOf(id) >= 0);
  useEffect(() => onSoundChange(() => setSoundVersion((v) => v + 1)), []);
  useEffect(() => {
    setAlarmSound(ids.length > 0 && !muted);
  }, [ids.join(','), muted]);
  useEffect(() => () => setAlarmSound(false), []);
  const top = list[0];
  if (top === undefined) return null;
  // A viewer cannot acknowledge: the button only says 查看.
  const operate = s.auth !== undefined && canOperate(s.auth);
  return (
    <div class={`banner banner-${top.level !== null ? top.level : 'fault'}`} role="alert" data-testid="alarm-banner">
      <div class="banner-text">
        <strong>
          {top.drill && <span class="chip chip-drill banner-chip">{t('drill')}</span>}
          {t('bannerActive', { title: displayTitle(top) })}
        </strong>
        {top.level !== null && top.title.indexOf(tk(`level_${top.level}`)) < 0 && <span> · {tk(`level_${top.level}`)}</span>}
        {list.length > 1 && (
          <div class="banner-sub" data-testid="banner-others">
            {t('bannerMore', { n: list.length - 1 })}
            {t('colon')}
            {list.slice(1, 4).map((a, i) => (
              <span key={a.id}>
                {i > 0 && t('listSep')}
                {a.drill && <span class="chip chip-drill banner-chip">{t('drill')}</span>}
                {displayTitle(a)}
              </span>
            ))}
            {list.length > 4 ? '…' : ''}
          </div>
        )}
        {soundBlocked() && !muted && <div class="banner-sub">{t('soundBlocked')}</div>}
      </div>
      <div class="banner-actions">
        <a class="btn btn-light" href="/alarms" onClick={onLinkClick} data-testid="banner-goto">
          {operate ? t('bannerGoto') : t('bannerView')}
        </a>
        <button type="button" class="btn btn-light" aria-pressed={muted} onClick={() => setMutedIds(muted ? [] : ids)} data-testid="mute-button">
          {muted ? t('unmute') : t('mute')}
        </button>
      </div>
    </div>
  );
}

/**
 * While any 立即转移 alarm is open, acknowledged or not, this slim red strip stays at the very top of every page, also
 * when scrolled (sticky, the nav under it): the red banner goes once the siren is stopped, the evacuation does not.
 * Nothing in it closes it.
 */
function EvacuateStrip(props: { strip: EvacuateStripState; silences: boolean | undefined }): JSX.Element {
  const strip = props.strip;
  // Acknowledged is 已停止鸣响 only when the 立即转移 plan silences on acknowledging (GET /outputs).
  const silenced = strip.acknowledged && props.silences === true;
  const first = strip.titles[0];
  return (
    <div class={`evac-strip ${strip.drill ? 'evac-strip-drill' : ''}`} role="status" data-testid="evacuate-strip" data-drill={String(strip.drill)} data-acknowledged={String(strip.acknowledged)} data-silenced={String(silenced)}>
      {strip.drill && <span class="chip chip-drill evac-chip">{t('drill')}</span>}
      <strong class="evac-main">{t('stripEvacuate')}</strong>
      <span class="evac-names">
        {first !== undefined && ` · ${first}`}
        {strip.titles.length > 1 && ` ${t('stripMore', { n: strip.titles.length - 1 })}`}
        {strip.drillsToo && ` · ${t('stripDrillsToo')}`}
      </span>
      <span class="evac-state">· {t(stripStateKey(strip, props.silences))}</span>
    </div>
  );
}

const NAV: { page: Route['page']; key: MsgKey; path: string; admin?: boolean }[] = [
  { page: 'overview', key: 'nav_overview', path: '/' },
  { page: 'alarms', key: 'nav_alarms', path: '/alarms' },
  { page: 'broadcast', key: 'nav_broadcast', path: '/broadcast' },
  { page: 'recordings', key: 'nav_recordings', path: '/recordings' },
  { page: 'library', key: 'nav_library', path: '/library' },
  { page: 'devices', key: 'nav_devices', path: '/devices' },
  { page: 'settings', key: 'nav_settings', path: '/settings', admin: true },
];

function Shell(props: { onLogout: () => void }): JSX.Element {
  const s = useStore();
  const route = useRoute();
  const auth = s.auth;
  const admin = auth !== undefined && isAdmin(auth);
  const activeCount = s.activeAlarms.filter((a) => a.state === 'active').length;
  const current = route.page === 'site' ? 'overview' : route.page;
  const strip = evacuateStrip(s.activeAlarms);
  return (
    <div class={`shell ${strip !== undefined ? 'has-evac' : ''}`}>
      {strip !== undefined && <EvacuateStrip strip={strip} silences={ackSilences(s.outputs, 'evacuate')} />}
      <header class="topbar">
        <h1 class="brand">{t('appTitle')}</h1>
        <div class="topbar-right">
          {auth !== undefined && auth.user !== undefined && (
            <span class="user" data-testid="current-user">
              {t('loggedInAs', { name: auth.user.name, role: tk(`role_${auth.user.role}`) })}
            </span>
          )}
          <button type="button" class="btn btn-light" lang={lang() === 'zh-CN' ? 'en' : 'zh-CN'} title={t('langSwitchLabel')} onClick={() => switchLang()} data-testid="lang-switch">
            {t('langSwitch')}
          </button>
          {auth !== undefined && (
            <button type="button" class="btn btn-light" onClick={props.onLogout} data-testid="logout-button">
              {t('logout')}
            </button>
          )}
        </div>
      </header>
      {s.live === 'down' && (
        <div class="offline" role="status" data-testid="offline-banner">
          {t('offline')}
        </div>
      )}
      <AlarmBanner />
      <nav class="nav" aria-label={t('appTitle')}>
        {NAV.filter((n) => n.admin !== true || admin).map((n) => (
          <a key={n.page} href={n.path} class={`nav-item ${current === n.page ? 'active' : ''}`} aria-current={current === n.page ? 'page' : undefined} onClick={onLinkClick} data-testid={`nav-${n.page}`}>
            {t(n.key)}
            {n.page === 'alarms' && activeCount > 0 && <span class="badge">{activeCount}</span>}
          </a>
        ))}
      </nav>
      <main class="page" id="main">
        {route.page === 'overview' && <OverviewPage />}
        {route.page === 'site' && <SitePage id={route.id} />}
        {route.page === 'alarms' && <AlarmsPage />}
        {route.page === 'broadcast' && <BroadcastPage />}
        {route.page === 'recordings' && <RecordingsPage />}
        {route.page === 'library' && <LibraryPage />}
        {route.page === 'devices' && <DevicesPage />}
        {route.page === 'settings' && <SettingsPage />}
      </main>
    </div>
  );
}

let rerender: (() => void) | undefined;
function switchLang(): void {
  setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
  if (rerender !== undefined) rerender();
  update({});
}

type Phase = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'unreachable' } | { kind: 'setup' } | { kind: 'login'; notice?: string } | { kind: 'app' };

/** While the box cannot be reached at the start (restarting, Wi-Fi down), how often the page asks again. */
const UNREACHABLE_RETRY_MS = 5_000;

const unreachable = (err: unknown): boolean => err instanceof ApiError && err.status === 0;

/**
 * The page opened (from the service worker's copy) but the box does not answer: said plainly, and asked again every
 * few seconds until it does.
 */
function UnreachableCard(props: { onRetry: () => void }): JSX.Element {
  useEffect(() => {
    const timer = window.setInterval(props.onRetry, UNREACHABLE_RETRY_MS);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <main class="auth-page">
      <div class="card auth-card" data-testid="box-unreachable">
        <h1>{t('unreachableTitle')}</h1>
        <p class="notice notice-error" role="alert">
          {t('unreachableText')}
        </p>
        <button type="button" class="btn btn-primary btn-block" onClick={props.onRetry} data-testid="unreachable-retry">
          {t('retry')}
        </button>
      </div>
    </main>
  );
}

export function App(): JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [, setVersion] = useState(0);
  rerender = () => setVersion((v) => v + 1);

  const decide = async (notice?: string): Promise<void> => {
    // Signed in (the usual case): the first screen in one request, sent by boot.js while the page loaded.
    if (notice === undefined) {
      try {
        applyBootstrap(await bootstrap());
        setPhase({ kind: 'app' });
        startLive();
        return;
      } catch (err) {
        // Not signed in (401) or an older box: the session's state says what to show. The box not reachable: say so.
        if (unreachable(err)) {
          setPhase({ kind: 'unreachable' });
          return;
        }
      }
    }
    try {
      const auth = await authState();
      update({ auth });
      if (auth.setupRequired) {
        stopLive();
        setPhase({ kind: 'setup' });
      } else if (auth.user === undefined) {
        stopLive();
        setPhase(notice !== undefined ? { kind: 'login', notice } : { kind: 'login' });
      } else {
        setPhase({ kind: 'app' });
        startLive();
        void refreshAll();
      }
    } catch (err) {
      setPhase(unreachable(err) ? { kind: 'unreachable' } : { kind: 'error', message: errorText(err) });
    }
  };

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      if (state.auth !== undefined && state.auth.user !== undefined) {
        update({ auth: { setupRequired: false } });
        void decide(t('sessionExpired'));
      }
    });
    void decide();
  }, []);

  const loggedIn = (session: SignedIn): void => {
    update({ auth: { setupRequired: false, user: session.user, csrfToken: session.csrfToken } });
    if (window.location.pathname === '/login' || window.location.pathname === '/setup') navigate('/');
    setPhase({ kind: 'app' });
    startLive();
    void refreshAll();
  };

  const onLogout = (): void => {
    logout().then(
      () => {
        stopLive();
        resetAlarms();
        update({ auth: { setupRequired: false } });
        setAlarmSound(false);
        setPhase({ kind: 'login' });
      },
      (err: unknown) => setPhase({ kind: 'error', message: errorText(err) }),
    );
  };

  const langButton = (
    <div class="auth-lang">
      <button type="button" class="btn" lang={lang() === 'zh-CN' ? 'en' : 'zh-CN'} title={t('langSwitchLabel')} onClick={() => switchLang()} data-testid="lang-switch">
        {t('langSwitch')}
      </button>
    </div>
  );

  switch (phase.kind) {
    case 'loading':
      return <p class="loading">{t('loading')}</p>;
    case 'error':
      return <RetryCard message={phase.message} retryLabel={t('retry')} onRetry={() => void decide()} />;
    case 'unreachable':
      return <UnreachableCard onRetry={() => void decide()} />;
    case 'setup':
      return (
        <>
          {langButton}
          <SetupPage onDone={loggedIn} onExists={() => setPhase({ kind: 'login', notice: t('setupExists') })} />
        </>
      );
    case 'login':
      return (
        <>
          {langButton}
          <LoginPage onDone={loggedIn} {...(phase.notice !== undefined ? { notice: phase.notice } : {})} />
        </>
      );
    case 'app':
      return <Shell onLogout={onLogout} />;
  }
}
