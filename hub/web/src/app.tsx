import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { RetryCard } from '../../../web-ui/src/components/auth-card.js';
import { errorText } from '../../../web-ui/src/components/ui.js';
import { lang } from '../../../web-ui/src/i18n.js';
import { logout, session, setUnauthenticatedHandler } from './hub-api.js';
import { AccountsPage } from './pages/accounts.js';
import { AlarmsPage } from './pages/alarms.js';
import { BoxPage } from './pages/box.js';
import { BoxesPage } from './pages/boxes.js';
import { ContentPage } from './pages/content.js';
import { LoginPage } from './pages/login.js';
import { OrdersPage } from './pages/orders.js';
import { navigate, onLinkClick } from '../../../web-ui/src/router.js';
import { useRoute } from './route.js';
import { applyLang, t } from './text.js';
import type { AccountSummary, SignedIn } from './types.js';

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'login'; readonly notice?: string; readonly noAccounts: boolean }
  | { readonly kind: 'app'; readonly account: AccountSummary };

function LangButton(props: { onSwitch: () => void }): JSX.Element {
  return (
    <button type="button" class="btn btn-light" lang={lang() === 'zh-CN' ? 'en' : 'zh-CN'} onClick={props.onSwitch} data-testid="lang-switch">
      {t('langSwitch')}
    </button>
  );
}

function Shell(props: { account: AccountSummary; onLogout: () => void; onLang: () => void }): JSX.Element {
  const route = useRoute();
  const { account } = props;
  const items: { path: string; label: string; on: boolean; show: boolean }[] = [
    { path: '/', label: t('nav_boxes'), on: route.page === 'boxes' || route.page === 'box', show: true },
    { path: '/alarms', label: t('nav_alarms'), on: route.page === 'alarms', show: true },
    { path: '/orders', label: t('nav_orders'), on: route.page === 'orders', show: true },
    { path: '/content', label: t('nav_content'), on: route.page === 'content', show: true },
    { path: '/accounts', label: t('nav_accounts'), on: route.page === 'accounts', show: account.role === 'admin' },
  ];
  return (
    <>
      <header class="topbar">
        <div class="brand">{t('title')}</div>
        <div class="topbar-right">
          <span class="user" data-testid="current-user">
            {t('signedInAs', { name: account.name, role: t(`role_${account.role}`) })}
          </span>
          <LangButton onSwitch={props.onLang} />
          <button type="button" class="btn btn-light" onClick={props.onLogout} data-testid="logout">
            {t('logout')}
          </button>
        </div>
      </header>
      <nav class="nav" aria-label={t('title')}>
        {items
          .filter((i) => i.show)
          .map((i) => (
            <a key={i.path} href={i.path} class={`nav-item${i.on ? ' active' : ''}`} aria-current={i.on ? 'page' : undefined} onClick={onLinkClick} data-testid={`nav-${i.path === '/' ? 'boxes' : i.path.slice(1)}`}>
              {i.label}
            </a>
          ))}
      </nav>
      <main class="page">
        {route.page === 'boxes' && <BoxesPage />}
        {route.page === 'box' && <BoxPage id={route.id} />}
        {route.page === 'alarms' && <AlarmsPage />}
        {route.page === 'orders' && <OrdersPage account={account} />}
        {route.page === 'content' && <ContentPage account={account} />}
        {route.page === 'accounts' && <AccountsPage account={account} />}
      </main>
    </>
  );
}

/** The county's page: sign in, then the boxes, alarms, orders, content and (admins) accounts. */
export function App(): JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [, setVersion] = useState(0);

  const decide = async (notice?: string): Promise<void> => {
    try {
      const s = await session();
      if (s.account === undefined) setPhase({ kind: 'login', noAccounts: s.noAccounts === true, ...(notice === undefined ? {} : { notice }) });
      else setPhase({ kind: 'app', account: s.account });
    } catch (err) {
      setPhase({ kind: 'error', message: errorText(err) });
    }
  };

  useEffect(() => {
    setUnauthenticatedHandler(() => void decide(t('sessionExpired')));
    void decide();
  }, []);

  const switchLang = (): void => {
    applyLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    setVersion((v) => v + 1);
  };

  switch (phase.kind) {
    case 'loading':
      return <p class="loading">{t('loading')}</p>;
    case 'error':
      return <RetryCard message={phase.message} retryLabel={t('retry')} onRetry={() => void decide()} />;
    case 'login':
      return (
        <>
          <div class="auth-lang">
            <LangButton onSwitch={switchLang} />
          </div>
          <LoginPage
            noAccounts={phase.noAccounts}
            {...(phase.notice === undefined ? {} : { notice: phase.notice })}
            onDone={(s: SignedIn) => {
              if (window.location.pathname === '/login') navigate('/');
              setPhase({ kind: 'app', account: s.account });
            }}
          />
        </>
      );
    case 'app':
      return (
        <Shell
          account={phase.account}
          onLang={switchLang}
          onLogout={() =>
            void logout().then(
              () => setPhase({ kind: 'login', noAccounts: false }),
              (err: unknown) => setPhase({ kind: 'error', message: errorText(err) }),
            )
          }
        />
      );
  }
}
