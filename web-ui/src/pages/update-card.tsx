import type { JSX } from 'preact';
import type { UpdateHealth } from '../api.js';
import { Card, Notice } from '../components/ui.js';
import { t } from '../i18n.js';
import { updateLine } from '../update-view.js';

/** The last software update (`update` of /health): a quiet line after a success, a notice after a rollback. */
export function UpdateCard(props: { update: UpdateHealth }): JSX.Element {
  const line = updateLine(props.update);
  return (
    <Card title={t('updateTitle')} testid="update-card">
      {line.tone === 'ok' ? (
        <p data-testid="update-line" data-outcome={props.update.outcome}>
          {line.text}
        </p>
      ) : (
        <Notice kind={line.tone === 'warn' ? 'warn' : 'info'} testid="update-line">
          {line.text}
          {line.reason !== undefined && <span class="sub"> — {line.reason}</span>}
        </Notice>
      )}
    </Card>
  );
}
