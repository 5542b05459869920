import { useEffect, useState } from 'preact/hooks';
import { describe, problemOf, raw } from '../api.js';
import type { Capabilities } from '../capabilities.js';
import { ScrollBox } from '../components/scroll-box.js';
import { ms } from '../format.js';
import { listModels, type ModelInfo, modelInfo } from '../models-api.js';
import type { HeadingRef } from '../router.js';
import { parseRows } from '../rows.js';

interface Answer {
  model_name: string;
  model_version: string;
  predictions: number[];
  probabilities: number[][];
  labels: string[];
  request_id: string;
  cached: boolean;
  /** x-model-version, when the gateway sends it. */
  headerVersion: string | null;
  elapsedMs: number;
}

const EXAMPLE = '5.1, 3.5, 1.4, 0.2\n6.7, 3.0, 5.2, 2.3';

/** Try it: pick a model, paste rows, see the answer and the version that gave it. */
export function TryItPage(props: { heading: HeadingRef; caps: Capabilities }) {
  const [models, setModels] = useState<string[] | null>(null);
  const [model, setModel] = useState('');
  const [info, setInfo] = useState<ModelInfo | null>(null);
  const [version, setVersion] = useState('');
  const [text, setText] = useState(EXAMPLE);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listModels()
      .then((names) => {
        setModels(names);
        setModel((m) => m || names[0] || '');
      })
      .catch((err) => setError(describe(err)));
  }, []);

  useEffect(() => {
    setInfo(null);
    setVersion('');
    if (model === '') return;
    modelInfo(model)
      .then(setInfo)
      .catch(() => setInfo(null));
  }, [model]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    let rows: number[][];
    try {
      rows = parseRows(text);
    } catch (err) {
      setError(describe(err));
      return;
    }
    const body: Record<string, unknown> = { model_name: model, input_data: rows };
    if (version !== '') body.model_version = version;
    setBusy(true);
    const started = performance.now();
    try {
      const res = await raw('POST', '/predict', { body });
      if (res.status !== 200) throw problemOf(res);
      setAnswer({
        ...(res.body as Omit<Answer, 'headerVersion' | 'elapsedMs'>),
        headerVersion: res.headers.get('x-model-version'),
        elapsedMs: performance.now() - started,
      });
    } catch (err) {
      setAnswer(null);
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const curl = `curl -s ${location.origin}/predict -H 'content-type: application/json'${
    props.caps.signedIn ? ` -H "authorization: Bearer $MLAPI_KEY"` : ''
  } \\\n  -d '${JSON.stringify(safeBody(model, text, version))}'`;

  return (
    <section aria-labelledby="try-title">
      <h1 id="try-title" tabIndex={-1} ref={props.heading}>
        Try it
      </h1>
      {models !== null && models.length === 0 && <p>No model has announced itself yet.</p>}
      <form class="stack" onSubmit={submit}>
        <div class="row">
          <label>
            Model
            <select
              name="model"
              value={model}
              onChange={(e) => setModel((e.target as HTMLSelectElement).value)}
              disabled={models === null}
            >
              {(models ?? []).map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          {info !== null && info.versions.length > 1 && (
            <label>
              Version
              <select
                name="version"
                value={version}
                onChange={(e) => setVersion((e.target as HTMLSelectElement).value)}
              >
                <option value="">chosen by the traffic policy</option>
                {info.versions.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <label>
          Rows{' '}
          <span class="muted">
            ({info?.width ?? 'some'} numbers each; one row a line, or JSON like [[5.1, 3.5, 1.4,
            0.2]])
          </span>
          <textarea
            name="rows"
            rows={6}
            spellcheck={false}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <div>
          <button type="submit" class="primary" disabled={busy || model === ''}>
            {busy ? 'Predicting…' : 'Predict'}
          </button>
        </div>
      </form>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div aria-live="polite">
        {answer !== null && (
          <div class="answer">
            <h2>Answer</h2>
            <p data-testid="answered-by">
              Answered by <strong>{answer.model_name}</strong> version{' '}
              <strong data-testid="answer-version">{answer.model_version}</strong>
              {answer.cached ? ' from the cache' : ''} in {ms(answer.elapsedMs)}. Request id{' '}
              <code>{answer.request_id}</code>.
            </p>
            <ScrollBox label="Prediction per row">
              <table>
                <caption class="visually-hidden">Prediction per row</caption>
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">Label</th>
                    <th scope="col">Class</th>
                    <th scope="col">Probabilities</th>
                  </tr>
                </thead>
                <tbody>
                  {answer.predictions.map((p, i) => (
                    <tr key={i}>
                      <th scope="row">{i + 1}</th>
                      <td data-field="label">{answer.labels[i]}</td>
                      <td>{p}</td>
                      <td>{(answer.probabilities[i] ?? []).map((x) => x.toFixed(3)).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollBox>
          </div>
        )}
      </div>
      <details>
        <summary>The same call with curl</summary>
        <pre>
          <code>{curl}</code>
        </pre>
      </details>
    </section>
  );
}

function safeBody(model: string, text: string, version: string): Record<string, unknown> {
  let rows: unknown = [];
  try {
    rows = parseRows(text);
  } catch {
    // shown as an empty list until the rows parse
  }
  return {
    model_name: model,
    input_data: rows,
    ...(version !== '' ? { model_version: version } : {}),
  };
}
