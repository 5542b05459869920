import { useEffect, useState } from 'preact/hooks';
import { authHeaders, call, describe, path, problemOf } from '../api.js';
import type { Capabilities } from '../capabilities.js';
import { when } from '../format.js';
import { listModels } from '../models-api.js';
import type { HeadingRef } from '../router.js';
import { parseRows } from '../rows.js';
import { sessionValue, setSessionValue } from '../session.js';
import { subscribe } from '../sse.js';

/** GET /v1/jobs/{id} (DESIGN.md, jobs). */
interface Job {
  job_id: string;
  model_name?: string;
  model_version?: string | null;
  status: string;
  rows_total?: number | null;
  rows_done?: number | null;
  created_at?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  error?: unknown;
}

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'expired']);
const TRACKED = 'jobs';

/**
 * Jobs: the caller's jobs with live progress (GET /v1/jobs/{id}/events), cancel, and the results
 * as NDJSON. The contract has no "list my jobs" route, so the page follows the jobs submitted or
 * added here (kept for this tab), plus GET /v1/jobs's list when a gateway has one.
 */
export function JobsPage(props: { heading: HeadingRef; caps: Capabilities }) {
  const [ids, setIds] = useState<string[]>(() => sessionValue<string[]>(TRACKED, []));
  const [models, setModels] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  const track = (id: string) =>
    setIds((held) => {
      const next = held.includes(id) ? held : [id, ...held];
      setSessionValue(TRACKED, next);
      return next;
    });
  const forget = (id: string) =>
    setIds((held) => {
      const next = held.filter((x) => x !== id);
      setSessionValue(TRACKED, next);
      return next;
    });

  useEffect(() => {
    listModels().then(setModels, (err) => setError(describe(err)));
    if (props.caps.routes.jobsList) {
      call<{ jobs?: Job[] } | Job[]>('GET', '/v1/jobs').then(
        (body) => {
          const list = Array.isArray(body) ? body : (body.jobs ?? []);
          for (const job of list) if (typeof job.job_id === 'string') track(job.job_id);
        },
        (err) => setError(describe(err)),
      );
    }
  }, [props.caps.routes.jobsList]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    setError(null);
    try {
      const rows = parseRows(String(data.get('rows') ?? ''));
      const answer = await call<{ job_id: string }>('POST', '/v1/jobs', {
        body: { model_name: String(data.get('model')), input_data: rows },
      });
      track(answer.job_id);
    } catch (err) {
      setError(describe(err));
    }
  };

  const add = (event: Event) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const id = String(new FormData(form).get('job_id') ?? '').trim();
    if (id !== '') track(id);
    form.reset();
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title" tabIndex={-1} ref={props.heading}>
        Jobs
      </h1>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="cards two">
        <form class="card stack" onSubmit={submit} aria-labelledby="submit-title">
          <h2 id="submit-title">Submit a job</h2>
          <label>
            Model
            <select name="model" required>
              {models.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <label>
            Rows <span class="muted">(one a line, or JSON)</span>
            <textarea name="rows" rows={5} required spellcheck={false} />
          </label>
          <div>
            <button type="submit" class="primary" disabled={models.length === 0}>
              Submit job
            </button>
          </div>
        </form>
        <form class="card stack" onSubmit={add} aria-labelledby="follow-title">
          <h2 id="follow-title">Follow a job</h2>
          <label>
            Job id
            <input name="job_id" required autoComplete="off" spellcheck={false} />
          </label>
          <div>
            <button type="submit">Follow</button>
          </div>
        </form>
      </div>
      <h2>Your jobs</h2>
      {ids.length === 0 ? (
        <p>No job yet: submit one above, or follow one by its id.</p>
      ) : (
        <ul class="jobs">
          {ids.map((id) => (
            <JobRow key={id} id={id} onForget={() => forget(id)} />
          ))}
        </ul>
      )}
    </section>
  );
}

function JobRow(props: { id: string; onForget: () => void }) {
  const { id } = props;
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live: { close(): void } | null = null;
    let stopped = false;
    call<Job>('GET', path`/v1/jobs/${id}`).then(
      (first) => {
        if (stopped) return;
        setJob(first);
        if (FINAL.has(first.status)) return;
        live = subscribe(path`/v1/jobs/${id}/events`, {
          onEvent(event) {
            try {
              const data = JSON.parse(event.data) as Partial<Job>;
              setJob((held) => ({ ...(held ?? first), ...data, job_id: id }) as Job);
            } catch {
              // not JSON: a comment-like event; the next one carries the state
            }
          },
          done(event) {
            try {
              const status = (JSON.parse(event.data) as Partial<Job>).status;
              return status !== undefined && FINAL.has(status);
            } catch {
              return false;
            }
          },
        });
      },
      (err) => setError(describe(err)),
    );
    return () => {
      stopped = true;
      live?.close();
    };
  }, [id]);

  const cancel = async () => {
    try {
      await call('DELETE', path`/v1/jobs/${id}`);
      setJob(await call<Job>('GET', path`/v1/jobs/${id}`));
    } catch (err) {
      setError(describe(err));
    }
  };

  const download = async () => {
    try {
      const response = await fetch(path`/v1/jobs/${id}/result`, {
        headers: { accept: 'application/x-ndjson', ...authHeaders() },
        credentials: 'omit',
      });
      if (!response.ok) {
        throw problemOf({
          status: response.status,
          headers: response.headers,
          body: await response.json().catch(() => null),
        });
      }
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = `job-${id}.ndjson`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(describe(err));
    }
  };

  const total = job?.rows_total ?? 0;
  const done = Math.min(job?.rows_done ?? 0, total);
  const pct = total > 0 ? Math.round((done * 100) / total) : job?.status === 'succeeded' ? 100 : 0;
  const labelId = `job-${id}-label`.replace(/[^a-zA-Z0-9_-]/g, '_');

  return (
    <li class="card job" data-job-id={id} data-status={job?.status ?? 'loading'}>
      <div class="title-row">
        <h3 id={labelId}>
          <code>{id}</code> {job?.model_name ?? ''}
          {job?.model_version ? ` v${job.model_version}` : ''}
        </h3>
        <span class={`status ${job?.status ?? ''}`}>{job?.status ?? 'loading…'}</span>
      </div>
      <progress
        max={100}
        value={pct}
        aria-labelledby={labelId}
        aria-valuetext={`${pct}%: ${done} of ${total} rows`}
      />
      <p class="muted">
        {done} of {total} rows ({pct}%) · created {when(job?.created_at)}
        {job?.finished_at ? ` · finished ${when(job.finished_at)}` : ''}
      </p>
      {job?.error != null && (
        <p class="error">{typeof job.error === 'string' ? job.error : JSON.stringify(job.error)}</p>
      )}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        {job !== null && !FINAL.has(job.status) && (
          <button type="button" onClick={() => void cancel()}>
            Cancel<span class="visually-hidden"> job {id}</span>
          </button>
        )}
        {job?.status === 'succeeded' && (
          <button type="button" class="primary" onClick={() => void download()}>
            Download results<span class="visually-hidden"> of job {id}</span>
          </button>
        )}
        <button type="button" onClick={props.onForget}>
          Forget<span class="visually-hidden"> job {id}</span>
        </button>
      </div>
    </li>
  );
}
