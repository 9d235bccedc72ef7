import './compat.js';
import { render } from 'preact';
import { App } from './app.js';
import { lang, setLang } from './i18n.js';
import { registerServiceWorker } from './service-worker.js';
import './style.css';

setLang(lang());
// The GET /bootstrap web-ui/boot.js sent (src/api.ts takes it for the first screen).
const boot = (window as unknown as { __fenghuoBoot?: Promise<Response> }).__fenghuoBoot;
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
registerServiceWorker(boot);
