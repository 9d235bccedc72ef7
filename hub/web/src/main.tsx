import '../../../web-ui/src/compat.js';
import { render } from 'preact';
import { lang } from '../../../web-ui/src/i18n.js';
import '../../../web-ui/src/style.css';
import { App } from './app.js';
import { applyLang } from './text.js';
import './hub.css';

applyLang(lang());
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
