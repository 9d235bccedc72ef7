import './compat.js';
import { render } from 'preact';
import { App } from './app.js';
import { lang, setLang } from './i18n.js';
import { registerServiceWorker } from './service-worker.js';
import './style.css';

setLang(lang());
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
registerServiceWorker();
