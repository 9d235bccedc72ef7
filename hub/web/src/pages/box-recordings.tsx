import type { JSX } from 'preact';
import { Card, ErrorBox } from '../../../../web-ui/src/components/ui.js';
import { bytes, formatDuration, formatTime } from '../../../../web-ui/src/format.js';
import { boxRecordings } from '../hub-api.js';
import { t, tk } from '../text.js';
import type { HubRecording } from '../types.js';
import { usePolledAnswer } from './boxes.js';

const SHOWN = 20;
const KNOWN_STATES = new Set(['recording', 'finishing', 'finished', 'failed', 'deleted']);

/** A recording's state in words; one the page does not know (a newer box) as the box wrote it. */
export function recordingStateText(r: Pick<HubRecording, 'state'>): string {
  return KNOWN_STATES.has(r.state) ? tk(`rec_state_${r.state}`) : r.state;
}

/** The box's recordings as its `recording` records left them (GET /api/v1/boxes/{id}/recordings): what the township recorded. */
export function BoxRecordings(props: { id: string }): JSX.Element {
  const { answer, error } = usePolledAnswer(() => boxRecordings(props.id, SHOWN), 60_000, [props.id]);
  return (
    <Card title={t('recordingsTitle')} testid="box-recordings">
      <ErrorBox error={error} />
      {answer !== undefined && answer.recordings.length === 0 && <p class="empty">{t('noRecordings')}</p>}
      {answer !== undefined && answer.recordings.length > 0 && (
        <table class="hub-table" data-testid="box-recordings-table">
          <thead>
            <tr>
              <th>{t('rec_when')}</th>
              <th>{t('rec_titleCol')}</th>
              <th>{t('rec_channel')}</th>
              <th>{t('rec_stateCol')}</th>
              <th>{t('rec_length')}</th>
              <th>{t('rec_size')}</th>
            </tr>
          </thead>
          <tbody>
            {answer.recordings.map((r) => (
              <tr key={r.id} data-testid="box-recording">
                <td>{formatTime(r.actualStart ?? r.plannedStart, 'short')}</td>
                <td>
                  {r.title}
                  {r.pinned && <span class="hint"> {t('rec_pinned')}</span>}
                  {r.gaps.length > 0 && <span class="hint"> {t('rec_gaps', { n: r.gaps.length })}</span>}
                </td>
                <td>{r.channelName ?? r.channelId}</td>
                <td data-testid="box-recording-state">{recordingStateText(r)}</td>
                <td>{formatDuration(r.durationS ?? undefined)}</td>
                <td>{bytes(r.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {answer?.truncated === true && <p class="hint">{t('recordingsTruncated', { n: SHOWN })}</p>}
    </Card>
  );
}
