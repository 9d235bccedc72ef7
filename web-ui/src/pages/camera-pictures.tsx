import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, canOperate, get, post, type AlarmImages, type AlarmTransition, type PictureQueued, type SiteImages } from '../api.js';
import { cameraLine, latestAndStrip, picturesByTransition } from '../camera-view.js';
import { Card } from '../components/ui.js';
import { formatTime } from '../format.js';
import { t, tk } from '../i18n.js';
import { useStore } from '../store.js';
import '../camera-pictures.css';

const REFRESH_MS = 60_000;
/** An open alarm history looks for new pictures this often while an "after" one may still come. */
const ALARM_REFRESH_MS = 15_000;
/** cameras[].afterDelayS is at most an hour: past that since the alarm's last change, no picture comes. */
const AFTER_AT_MOST_MS = 3_600_000;

/** A site's camera pictures beside its level chart: the latest large, a strip of thumbnails, each camera's state. */
export function SitePictures(props: { siteId: string }): JSX.Element | null {
  const s = useStore();
  const [body, setBody] = useState<SiteImages | null | undefined>(undefined);
  const [shown, setShown] = useState<number | undefined>(undefined);
  // The picture asked for, until one of that camera newer than `after` (its newest then) is listed.
  const [asked, setAsked] = useState<{ camera: string; after: number; error?: string } | undefined>(undefined);
  const [reloads, setReloads] = useState(0);
  const operate = s.auth !== undefined && canOperate(s.auth);
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
  }, [props.siteId, alarmKey, reloads]);
  const newestOf = (camera: string): number => Math.max(0, ...(body?.images ?? []).filter((i) => i.cameraId === camera).map((i) => i.id));
  const take = (camera: string): void => {
    const after = newestOf(camera);
    setAsked({ camera, after });
    post<PictureQueued>(`/cameras/${encodeURIComponent(camera)}/picture`).then(
      () => {
        // A picture takes up to the camera's timeout: this reload (and its load 5 s later, above), and one at 20 s.
        setReloads((n) => n + 1);
        window.setTimeout(() => setReloads((n) => n + 1), 20_000);
      },
      (err: unknown) => setAsked({ camera, after, error: err instanceof Error ? err.message : String(err) }),
    );
  };
  const waiting = asked !== undefined && (asked.error !== undefined || newestOf(asked.camera) <= asked.after) ? asked : undefined;
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
              {operate && (
                <button type="button" class="cam-take" onClick={() => take(c.id)} title={t('cam_takeTitle', { name: line.name })} data-testid="cam-take">
                  {t('cam_take')}
                </button>
              )}
              {waiting?.camera === c.id && (
                <span class={waiting.error === undefined ? 'hint' : 'cam-failed'} role="status" data-testid="cam-take-state">
                  {' '}
                  {waiting.error === undefined ? t('cam_taking', { name: line.name }) : t('cam_takeFailed', { name: line.name, why: waiting.error })}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

/**
 * An alarm's pictures in its history: per transition (named, with its time, when `transitions` is given), before /
 * at / after thumbnails linking to the full picture.
 */
export function AlarmPictures(props: { alarmId: number; updatedAt: number; transitions?: readonly AlarmTransition[] }): JSX.Element | null {
  const [body, setBody] = useState<AlarmImages | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      get<AlarmImages>(`/alarms/${props.alarmId}/images`).then(
        (b) => !cancelled && setBody(b),
        () => !cancelled && setBody(undefined),
      );
    };
    load();
    // The "after" picture comes afterDelayS past the transition with no change of the alarm to announce it.
    const timer = Date.now() - props.updatedAt < AFTER_AT_MOST_MS ? window.setInterval(load, ALARM_REFRESH_MS) : undefined;
    return () => {
      cancelled = true;
      if (timer !== undefined) window.clearInterval(timer);
    };
  }, [props.alarmId, props.updatedAt]);
  if (body === undefined || body.images.length === 0) return null;
  return (
    <div class="cam-alarm" data-testid="alarm-pictures">
      <strong>{t('cam_alarmPictures')}</strong>
      {picturesByTransition(body.images, props.transitions).map((g) => (
        <div key={g.transitionId} class="cam-group" data-testid="alarm-picture-group" data-transition-id={g.transitionId}>
          {g.transition !== undefined && (
            <div class="cam-group-title" data-testid="alarm-picture-transition">
              <time>{formatTime(g.transition.ts)}</time> {tk(`tr_${g.transition.type}`)}
            </div>
          )}
          <ul class="cam-strip">
            {g.images.map((i) => (
              <li key={`${i.id}:${i.role}`} data-testid="alarm-picture" data-role={i.role}>
                <a href={i.url} target="_blank" rel="noopener" title={`${i.cameraName ?? i.cameraId} ${formatTime(i.ts)}`}>
                  <img src={i.thumbUrl} alt={tk(`cam_role_${i.role}`)} loading="lazy" />
                </a>
                <span class="hint" data-testid="alarm-picture-role">
                  {tk(`cam_role_${i.role}`)} {formatTime(i.ts, 'short')}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}
