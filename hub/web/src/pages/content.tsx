import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { FormOutcome, useFormAction } from '../../../../web-ui/src/components/form.js';
import { Card, ErrorBox, useId } from '../../../../web-ui/src/components/ui.js';
import { bytes, formatTime } from '../../../../web-ui/src/format.js';
import { content, publishFile } from '../hub-api.js';
import { t } from '../text.js';
import type { AccountSummary, ContentAnswer } from '../types.js';
import { usePoll } from './boxes.js';

/** Publish a file to every box (a county-signed content manifest goes with it), and what is published now. */
export function ContentPage(props: { account: AccountSummary }): JSX.Element {
  const [files, setFiles] = useState<ContentAnswer['files'] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [file, setFile] = useState<File | undefined>(undefined);
  const [path, setPath] = useState('');
  const [title, setTitle] = useState('');
  const action = useFormAction();
  const ids = { file: useId('c-file'), path: useId('c-path'), title: useId('c-title') };
  const load = async (): Promise<void> => {
    try {
      setFiles((await content()).files);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  usePoll(load, 30_000);
  return (
    <>
      {props.account.role !== 'viewer' && (
        <form
          class="card hub-forms"
          data-testid="content-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (file === undefined) return action.refuse(t('contentFile'));
            void action.run(async () => {
              await publishFile(file, path.trim() !== '' ? path.trim() : file.name, title.trim());
              await load();
            });
          }}
        >
          <div>
            <h2 class="card-title">{t('contentTitle')}</h2>
            <label for={ids.file}>{t('contentFile')}</label>
            <input
              id={ids.file}
              type="file"
              onChange={(e) => {
                const f = e.currentTarget.files?.[0];
                setFile(f);
                if (f !== undefined && path === '') setPath(f.name);
              }}
              data-testid="content-file"
            />
            <label for={ids.path}>{t('contentPath')}</label>
            <input id={ids.path} type="text" value={path} onInput={(e) => setPath(e.currentTarget.value)} data-testid="content-path" />
            <label for={ids.title}>{t('contentTitleField')}</label>
            <input id={ids.title} type="text" value={title} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="content-title" />
            <FormOutcome action={action} done={{ text: t('published'), testid: 'content-published' }} />
            <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="content-submit">
              {t('publish')}
            </button>
          </div>
        </form>
      )}
      <Card title={t('publishedFiles')} testid="content">
        <ErrorBox error={error} />
        {files !== undefined && files.length === 0 && <p class="empty">{t('none')}</p>}
        {files !== undefined && files.length > 0 && (
          <table class="hub-table">
            <tbody>
              {files.map((f) => (
                <tr key={f.id}>
                  <td>{f.path}</td>
                  <td>{f.title ?? ''}</td>
                  <td>{bytes(f.size)}</td>
                  <td>{formatTime(f.publishedAt, 'short')}</td>
                  <td>{f.by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
