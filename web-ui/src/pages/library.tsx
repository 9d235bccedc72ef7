import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, canOperate, del, get, post, type LibraryCategories, type LibraryImportBody, type LibraryImportReport, type LibraryItem, type LibraryPage as LibraryPageBody } from '../api.js';
import { DialogActions, FormOutcome, useFormAction } from '../components/form.js';
import { Card, Dialog, ErrorBox, Notice, useId } from '../components/ui.js';
import { bytes, formatTime } from '../format.js';
import { t, tk } from '../i18n.js';
import { csvRows, duplicateText, importCounts, importPathProblem, importProblemText, libraryPath, viewerOf, type LibraryFilter, type ReasonText } from '../library-view.js';
import '../media-pages.css';
import { useStore } from '../store.js';

/** A notice's text or a price list's table, read from the item's file. */
function TextView(props: { item: LibraryItem; table: boolean }): JSX.Element {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    fetch(props.item.fileUrl, { credentials: 'same-origin' })
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
      })
      .then(setText, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [props.item.id]);
  if (error !== undefined) return <div class="notice notice-error">{t('lib_loadFailed', { msg: error })}</div>;
  if (text === undefined) return <p class="loading">{t('loading')}</p>;
  if (!props.table) {
    return (
      <div class="lib-notice" data-testid="library-notice">
        {text}
      </div>
    );
  }
  const rows = csvRows(text);
  const head = rows[0] || [];
  return (
    <div class="lib-table-wrap">
      <table class="table" data-testid="library-prices">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(1).map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The item shown in the page: a video plays, a PDF and an image show inline, text is read out of its file. */
function ItemViewer(props: { item: LibraryItem }): JSX.Element {
  const { item } = props;
  const viewer = viewerOf(item);
  const link = (
    <a class="btn" href={item.fileUrl} target="_blank" rel="noopener" data-testid="library-file-link">
      {viewer === 'file' ? t('lib_download') : t('lib_openNewWindow')}
    </a>
  );
  return (
    <div class="lib-viewer" data-testid="item-viewer" data-viewer={viewer}>
      {viewer === 'video' && <video class="rec-video" controls preload="metadata" src={item.fileUrl} data-testid="library-video" />}
      {viewer === 'pdf' && (
        <>
          {/* Android's WebView shows no PDF inline: the link opens it in the tablet's PDF reader. */}
          <iframe class="lib-pdf" src={item.fileUrl} title={item.title} data-testid="library-pdf" />
          <p class="hint">{t('lib_pdfHint')}</p>
        </>
      )}
      {viewer === 'image' && <img class="lib-image" src={item.fileUrl} alt={item.title} data-testid="library-image" />}
      {viewer === 'notice' && <TextView item={item} table={false} />}
      {viewer === 'prices' && <TextView item={item} table={true} />}
      <div>{link}</div>
    </div>
  );
}

function ItemRow(props: { item: LibraryItem; open: boolean; onToggle: () => void; operate: boolean; onDelete: () => void }): JSX.Element {
  const { item } = props;
  return (
    <li class="rec-row lib-row" data-testid="item-row" data-item-id={item.id} data-kind={item.kind}>
      <div class="rec-row-main">
        <strong data-testid="item-title">{item.title}</strong> <span class="chip">{tk(`lib_kind_${item.kind}`)}</span>
        <div class="sub">
          <span data-testid="item-category">{item.category !== '' ? item.category : t('lib_noCategory')}</span> · {formatTime(item.date, 'short')} · {bytes(item.size)} · {tk(`lib_source_${item.source}`)}
          {item.tags.length > 0 && ` · ${item.tags.join(t('rec_daySep'))}`}
        </div>
        {props.open && <ItemViewer item={item} />}
      </div>
      <div class="rec-actions">
        <button type="button" class="btn btn-primary" aria-expanded={props.open} onClick={props.onToggle} data-testid="item-open">
          {props.open ? t('lib_close') : item.kind === 'video' ? t('lib_play') : t('lib_open')}
        </button>
        {props.operate && item.source !== 'county' && (
          <button type="button" class="btn btn-danger" onClick={props.onDelete} data-testid="item-delete">
            {t('lib_delete')}
          </button>
        )}
      </div>
    </li>
  );
}

function DeleteDialog(props: { item: LibraryItem; onDone: () => void; onClose: () => void }): JSX.Element {
  const act = useFormAction();
  return (
    <Dialog title={t('lib_deleteConfirmTitle')} onClose={props.onClose} testid="confirm-dialog">
      <p class="confirm-text">{t('lib_deleteConfirm', { title: props.item.title })}</p>
      <FormOutcome action={act} />
      <DialogActions onCancel={props.onClose} cancelTestid="confirm-cancel">
        <button
          type="button"
          class="btn btn-danger"
          disabled={act.busy}
          onClick={() =>
            void act
              .run(async () => {
                await del<LibraryItem>(`/library/${props.item.id}`);
              })
              .then((ok) => {
                if (ok) props.onDone();
              })
          }
          data-testid="confirm-ok"
        >
          {t('lib_delete')}
        </button>
      </DialogActions>
    </Dialog>
  );
}

/** One row of the report: the file, and why (the UI's words for the daemon's code, its English detail beneath). */
interface ReportRow {
  readonly file: string;
  readonly note?: string;
  readonly reason?: ReasonText;
  readonly code?: string;
}

function ReportList(props: { title: string; rows: readonly ReportRow[]; testid: string }): JSX.Element | null {
  if (props.rows.length === 0) return null;
  return (
    <div data-testid={props.testid}>
      <h3 class="sub-title">
        {props.title}（{props.rows.length}）
      </h3>
      <ul class="lib-report">
        {props.rows.map((r, i) => (
          <li key={i} data-testid="import-row" data-file={r.file} data-code={r.code}>
            <code>{r.file}</code>
            {r.note !== undefined && <span class="sub"> {r.note}</span>}
            {r.reason !== undefined && (
              <>
                <span class="sub" data-testid="import-reason">
                  {' '}
                  {r.reason.text}
                </span>
                {r.reason.detail !== undefined && (
                  <div class="raw-error" lang="en" data-testid="import-detail">
                    {r.reason.detail}
                  </div>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ImportReport(props: { report: LibraryImportReport }): JSX.Element {
  const r = props.report;
  const n = importCounts(r);
  return (
    <div data-testid="import-report" data-imported={n.imported} data-duplicates={n.duplicates} data-corrupt={n.corrupt} data-skipped={n.skipped}>
      <Notice kind={n.corrupt + n.skipped > 0 ? 'warn' : 'ok'} testid="import-summary">
        {t('lib_importReport', { imported: n.imported, duplicates: n.duplicates, corrupt: n.corrupt, skipped: n.skipped })}
      </Notice>
      <ReportList title={t('lib_importImported')} rows={r.imported.map((x) => ({ file: x.file, note: `${x.title} · ${tk(`lib_kind_${x.kind}`)}` }))} testid="import-imported" />
      <ReportList title={t('lib_importDuplicates')} rows={r.duplicates.map((x) => ({ file: x.file, note: duplicateText(x), code: x.code }))} testid="import-duplicates" />
      <ReportList title={t('lib_importCorrupt')} rows={r.corrupt.map((x) => ({ file: x.file, reason: importProblemText(x), code: x.code }))} testid="import-corrupt" />
      <ReportList title={t('lib_importSkipped')} rows={r.skipped.map((x) => ({ file: x.file, reason: importProblemText(x), code: x.code }))} testid="import-skipped" />
    </div>
  );
}

function ImportForm(props: { onImported: () => void }): JSX.Element {
  const [path, setPath] = useState('');
  const [category, setCategory] = useState('');
  const [report, setReport] = useState<LibraryImportReport | undefined>(undefined);
  const act = useFormAction();
  const ids = { path: useId('import-path'), category: useId('import-category'), hint: useId('import-hint') };
  const submit = (e: Event): void => {
    e.preventDefault();
    if (act.busy) return;
    const problem = importPathProblem(path);
    if (problem !== undefined) return act.refuse(problem === 'empty' ? t('lib_pathEmpty') : t('lib_pathRelative'));
    const cat = category.trim();
    setReport(undefined);
    void act.run(async () => {
      const answer = await post<LibraryImportReport, LibraryImportBody>('/library/import', { path: path.trim(), ...(cat !== '' ? { category: cat } : {}) });
      setReport(answer);
      props.onImported();
    });
  };
  return (
    <Card title={t('lib_importTitle')} testid="import-card">
      <form onSubmit={submit} data-testid="import-form">
        <label for={ids.path}>{t('lib_importPath')}</label>
        <input id={ids.path} value={path} placeholder="/media/usb" aria-describedby={ids.hint} aria-invalid={act.error instanceof ApiError && act.error.problems.some((p) => p.path === 'path')} onInput={(e) => setPath(e.currentTarget.value)} data-testid="import-path" />
        <p id={ids.hint} class="hint">
          {t('lib_importHint')}
        </p>
        <label for={ids.category}>{t('lib_importCategory')}</label>
        <input id={ids.category} maxLength={100} value={category} onInput={(e) => setCategory(e.currentTarget.value)} data-testid="import-category" />
        <FormOutcome action={act} />
        {act.busy && <Notice testid="import-busy">{t('lib_importing')}</Notice>}
        {report !== undefined && <ImportReport report={report} />}
        <button type="submit" class="btn btn-primary btn-block" disabled={act.busy} data-testid="import-submit">
          {t('lib_importSubmit')}
        </button>
      </form>
    </Card>
  );
}

export function LibraryPage(): JSX.Element {
  const s = useStore();
  const operate = s.auth !== undefined && canOperate(s.auth);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<LibraryFilter>({ q: '', category: '', offset: 0 });
  const [items, setItems] = useState<LibraryItem[] | undefined>(undefined);
  const [total, setTotal] = useState(0);
  const [categories, setCategories] = useState<LibraryCategories['categories']>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [open, setOpen] = useState<number | undefined>(undefined);
  const [deleting, setDeleting] = useState<LibraryItem | undefined>(undefined);
  const [deleted, setDeleted] = useState('');
  const searchId = useId('library-search');

  // What the list shows is the answer to `answered`, which the count line names: never the query just typed while its
  // answer is on its way, and never an older answer that came back after a newer one.
  const [answered, setAnswered] = useState<LibraryFilter>(filter);
  const latest = useRef(0);
  const load = (f: LibraryFilter): void => {
    const asked = ++latest.current;
    get<LibraryPageBody>(libraryPath(f)).then(
      (page) => {
        if (asked !== latest.current) return;
        setItems((before) => (f.offset > 0 && before !== undefined ? before.concat(page.items) : page.items));
        setTotal(page.total);
        setAnswered(f);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  };
  const loadCategories = (): void => {
    get<LibraryCategories>('/library/categories').then(
      (c) => setCategories(c.categories),
      (err: unknown) => setError(err),
    );
  };
  const apply = (f: LibraryFilter): void => {
    setFilter(f);
    setOpen(undefined);
    load(f);
  };
  const refresh = (): void => {
    loadCategories();
    apply({ q: filter.q, category: filter.category, offset: 0 });
  };
  useEffect(() => {
    loadCategories();
    load(filter);
  }, []);

  const search = (e: Event): void => {
    e.preventDefault();
    setDeleted('');
    apply({ q: query, category: filter.category, offset: 0 });
  };
  const shown = items !== undefined ? items : [];
  return (
    <div data-testid="library-page">
      <Card testid="library-search-card">
        <form onSubmit={search} data-testid="library-search-form" role="search">
          <label for={searchId}>{t('lib_search')}</label>
          <div class="preset-pick lib-search-row">
            <input id={searchId} type="search" maxLength={100} value={query} placeholder={t('lib_searchPlaceholder')} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="library-search" />
            <button type="submit" class="btn btn-primary" data-testid="library-search-submit">
              {t('lib_searchSubmit')}
            </button>
            {filter.q !== '' && (
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setQuery('');
                  apply({ q: '', category: filter.category, offset: 0 });
                }}
                data-testid="library-search-clear"
              >
                {t('lib_clear')}
              </button>
            )}
          </div>
        </form>
        <div class="segmented lib-categories" role="group" aria-label={t('lib_categories')} data-testid="library-categories">
          <button type="button" class={`btn ${filter.category === '' ? 'btn-primary' : ''}`} aria-pressed={filter.category === ''} onClick={() => apply({ q: filter.q, category: '', offset: 0 })} data-testid="category-all">
            {t('lib_allCategories')}
          </button>
          {categories.map((c) => (
            <button
              key={c.category}
              type="button"
              class={`btn ${filter.category === c.category ? 'btn-primary' : ''}`}
              aria-pressed={filter.category === c.category}
              onClick={() => apply({ q: filter.q, category: c.category, offset: 0 })}
              data-testid="category-button"
              data-category={c.category}
            >
              {c.category !== '' ? c.category : t('lib_noCategory')}（{c.count}）
            </button>
          ))}
        </div>
      </Card>
      <Card testid="library-results">
        <ErrorBox error={error} />
        {deleted !== '' && <Notice kind="ok">{t('lib_deleted', { title: deleted })}</Notice>}
        {items === undefined && error === undefined && <p class="loading">{t('loading')}</p>}
        {items !== undefined && (
          <p class="sub" data-testid="library-total" data-total={total}>
            {answered.q !== '' ? t('lib_totalFor', { q: answered.q, n: total }) : t('lib_total', { n: total })}
          </p>
        )}
        {items !== undefined && shown.length === 0 && <p class="empty">{t('lib_empty')}</p>}
        {shown.length > 0 && (
          <ul class="rec-list" data-testid="library-list">
            {shown.map((item) => (
              <ItemRow key={item.id} item={item} open={open === item.id} onToggle={() => setOpen(open === item.id ? undefined : item.id)} operate={operate} onDelete={() => setDeleting(item)} />
            ))}
          </ul>
        )}
        {shown.length < total && (
          <button
            type="button"
            class="btn btn-block"
            onClick={() => {
              const next = { q: filter.q, category: filter.category, offset: shown.length };
              setFilter(next);
              load(next);
            }}
            data-testid="library-more"
          >
            {t('lib_more')}
          </button>
        )}
      </Card>
      {operate && <ImportForm onImported={refresh} />}
      {deleting !== undefined && (
        <DeleteDialog
          item={deleting}
          onClose={() => setDeleting(undefined)}
          onDone={() => {
            setDeleted(deleting.title);
            setDeleting(undefined);
            refresh();
          }}
        />
      )}
    </div>
  );
}

