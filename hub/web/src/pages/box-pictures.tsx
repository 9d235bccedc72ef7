import type { JSX } from 'preact';
import { Card, ErrorBox } from '../../../../web-ui/src/components/ui.js';
import { formatTime } from '../../../../web-ui/src/format.js';
import { boxImages, boxImageUrl } from '../hub-api.js';
import { t, tk } from '../text.js';
import type { HubImage } from '../types.js';
import { usePolledAnswer } from './boxes.js';

const SHOWN = 12;

/** What a picture is to its alarm, in words, or nothing for a scheduled picture no alarm claimed. */
export function pictureRoleText(i: Pick<HubImage, 'alarms'>): string | undefined {
  const role = i.alarms[0]?.role;
  return role === undefined ? undefined : tk(`pic_role_${role}`);
}

/**
 * The box's camera pictures as they reached the hub (GET /api/v1/boxes/{id}/images): thumbnails newest first, each
 * opening its full image once that arrived whole (full images follow the thumbnails when the box's budget allows).
 */
export function BoxPictures(props: { id: string }): JSX.Element {
  const { answer, error } = usePolledAnswer(() => boxImages(props.id, SHOWN), 60_000, [props.id]);
  return (
    <Card title={t('picturesTitle')} testid="box-pictures">
      <ErrorBox error={error} />
      {answer !== undefined && answer.images.length === 0 && <p class="empty">{t('noPictures')}</p>}
      {answer !== undefined && answer.images.length > 0 && (
        <ul class="hub-pictures">
          {answer.images.map((i) => {
            const role = pictureRoleText(i);
            const thumb = <img src={boxImageUrl(props.id, i, 'thumb')} alt={`${i.siteId} ${formatTime(i.ts, 'short')}`} loading="lazy" />;
            return (
              <li key={`${i.dbId}/${i.id}`} data-testid="box-picture">
                {i.full.complete ? (
                  <a href={boxImageUrl(props.id, i, 'full')} target="_blank" rel="noopener" title={t('pic_fullOpen')}>
                    {thumb}
                  </a>
                ) : (
                  thumb
                )}
                <span class="hint">
                  {formatTime(i.ts, 'short')} · {i.siteId}
                  {role === undefined ? '' : ` · ${role}`}
                </span>
                {!i.full.complete && <span class="hint">{t('pic_fullPending', { pct: i.full.size > 0 ? Math.floor((100 * i.full.received) / i.full.size) : 0 })}</span>}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
