import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, type AlarmImages, type SiteImages } from '../api.js';
import { cameraLine, latestAndStrip, picturesByTransition } from '../camera-view.js';
import { Card } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t, tk } from '../i18n.js';
import { useStore } from '../store.js';
import '../camera-pictures.css';

const REFRESH_MS = 60_000;

/** A site's camera pictures beside its level chart: the latest large, a strip of thumbnails, each camera's state. */
export function SitePictures(props: { siteId: string }): JSX.Element | null {
  const s = useStore();
  const [body, setBody] = useState<SiteImages | null | undefined>(undefined);
  const [shown, setShown] = useState<number | undefined>(undefined);
  // A new alarm transition brings new pictures: reload then, and every minute.
  const alarmKey = s.activeAlarms.map((a) => `${a.id}:${a.updatedAt}`).join(',');
  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      get<SiteImages>(`/sites/${encodeURIComponent(props.siteId)}/images?limit=9`).then(
        (b) => !cancelled && setBody(b),
        // A box without cameras has no such route (404): the card stays away.
        (err: unknown) => !cancelled && setBody(err instanceof ApiError && err.status === 404 ? null : undefined),
      );
    };
    load();
    const timer = window.setInterval(load, REFRESH_MS);
    const later = window.setTimeout(load, 5_000);
    return () => {
      cancelled = true;
      window.clearInterval(timer);
      window.clearTimeout(later);
    };
  }, [props.siteId, alarmKey]);
  if (body === undefined || body === null || body.cameras.length === 0) return null;
  const { latest, strip } = latestAndStrip(body.images);
  const big = body.images.filter((i) => i.id === shown)[0] ?? latest;
  return (
    <Card class="site-pictures" title={t('cam_title')} testid="site-pictures">
      {big === undefined ? (
        <p class="hint">{t('cam_none')}</p>
      ) : (
        <figure class="cam-latest">
          <a href={big.url} target="_blank" rel="noopener" title={t('cam_open')}>
            <img src={big.url} alt={`${big.cameraName ?? big.cameraId} ${formatTime(big.ts)}`} loading="lazy" data-testid="cam-latest" />
          </a>
          <figcaption>
            {t('cam_latest', { time: formatTime(big.ts, 'short') })} · {big.cameraName ?? big.cameraId} · {tk(`cam_cause_${big.cause}`)}
          </figcaption>
        </figure>
      )}
      {strip.length > 0 && (
        <ul class="cam-strip" data-testid="cam-strip">
          {[...(latest !== undefined ? [latest] : []), ...strip].map((i) => (
            <li key={i.id}>
              <button type="button" class={`cam-thumb${big !== undefined && big.id === i.id ? ' on' : ''}`} onClick={() => setShown(i.id)} title={formatTime(i.ts)}>
                <img src={i.thumbUrl} alt={formatTime(i.ts, 'short')} loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <ul class="cam-states">
        {body.cameras.map((c) => {
          const line = cameraLine(c);
          const text =
            line.kind === 'ok'
              ? t('cam_ok', { name: line.name, time: formatTime(line.lastOkAt, 'short') })
              : line.kind === 'failed'
                ? t('cam_failed', { name: line.name, why: tk(`cam_error_${line.code}`), n: line.failures })
                : t('cam_unknown', { name: line.name });
          return (
            <li key={c.id} class={line.kind === 'failed' ? 'cam-failed' : ''} data-testid="cam-state">
              {text}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

/** An alarm's pictures in its history: per transition, before / at / after thumbnails linking to the full picture. */
export function AlarmPictures(props: { alarmId: number; updatedAt: number }): JSX.Element | null {
  const [body, setBody] = useState<AlarmImages | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    get<AlarmImages>(`/alarms/${props.alarmId}/images`).then(
      (b) => !cancelled && setBody(b),
      () => !cancelled && setBody(undefined),
    );
    return () => {
      cancelled = true;
    };
  }, [props.alarmId, props.updatedAt]);
  if (body === undefined || body.images.length === 0) return null;
  return (
    <div class="cam-alarm" data-testid="alarm-pictures">
      <strong>{t('cam_alarmPictures')}</strong>
      {picturesByTransition(body.images).map((g) => (
        <ul key={g.transitionId} class="cam-strip">
          {g.images.map((i) => (
            <li key={`${i.id}:${i.role}`}>
              <a href={i.url} target="_blank" rel="noopener" title={`${i.cameraName ?? i.cameraId} ${formatTime(i.ts)}`}>
                <img src={i.thumbUrl} alt={tk(`cam_role_${i.role}`)} loading="lazy" />
              </a>
              <span class="hint">
                {tk(`cam_role_${i.role}`)} {formatTime(i.ts, 'short')}
              </span>
            </li>
          ))}
        </ul>
      ))}
    </div>
  );
}
