import { useEffect, useRef, useState } from 'preact/hooks';
import { call, describe, path } from '../api.js';
import type { Capabilities } from '../capabilities.js';
import { Confirm } from '../components/confirm.js';
import { ScrollBox } from '../components/scroll-box.js';
import { count, when } from '../format.js';
import type { HeadingRef } from '../router.js';
import { type DailyUsage, dailyUsage } from '../usage.js';
import { EditLimits, LimitFields, limit } from './keys-limits.js';
import { OwnUsage, UsageChart } from './keys-usage.js';

/** An API key as GET /admin/keys lists it (DESIGN.md, identity). Never holds the secret. */
export interface ApiKey {
  id: string;
  name?: string;
  models?: string[] | string;
  scopes?: string[];
  rate_limit_per_minute?: number | null;
  rows_per_day?: number | null;
  rows_per_month?: number | null;
  expires_at?: string | null;
  disabled?: boolean;
  created_at?: string;
}

function keysOf(body: unknown): ApiKey[] {
  const list = Array.isArray(body)
    ? body
    : ((body as { keys?: unknown; items?: unknown })?.keys ?? (body as { items?: unknown })?.items);
  return Array.isArray(list) ? (list as ApiKey[]).filter((k) => typeof k?.id === 'string') : [];
}

export function KeysPage(props: { heading: HeadingRef; caps: Capabilities }) {
  const admin = props.caps.routes.keys && props.caps.scopes.has('admin');
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title" tabIndex={-1} ref={props.heading}>
        {admin ? 'Keys and usage' : 'Usage'}
      </h1>
      {props.caps.routes.usage && props.caps.signedIn && <OwnUsage />}
      {admin && <AdminKeys />}
    </section>
  );
}

function AdminKeys() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [usage, setUsage] = useState<DailyUsage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const secret = useRef<HTMLInputElement>(null);

  const load = async () => {
    try {
      setKeys(keysOf(await call<unknown>('GET', '/admin/keys')));
      setUsage(dailyUsage(await call<unknown>('GET', '/admin/usage')));
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (created !== null) secret.current?.select();
  }, [created]);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const models = String(data.get('models') ?? '*').trim();
    const body: Record<string, unknown> = {
      name: String(data.get('name') ?? '').trim(),
      models: models === '*' || models === '' ? ['*'] : models.split(/[\s,]+/).filter(Boolean),
      scopes: data.getAll('scopes').map(String),
      rate_limit_per_minute: limit(data.get('rate_limit_per_minute')),
      rows_per_day: limit(data.get('rows_per_day')),
      rows_per_month: limit(data.get('rows_per_month')),
    };
    const expires = String(data.get('expires_at') ?? '');
    if (expires !== '') body.expires_at = new Date(`${expires}T23:59:59Z`).toISOString();
    for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    try {
      const answer = await call<{ id: string; key: string }>('POST', '/admin/keys', { body });
      setCopied(false);
      setCreated({ id: answer.id, key: answer.key });
      form.reset();
      await load();
    } catch (err) {
      setError(describe(err));
    }
  };

  const copy = async () => {
    const text = created?.key ?? '';
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No Clipboard API outside a secure context: copy the selected field the old way.
      secret.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };

  const patch = async (id: string, changes: Record<string, unknown>) => {
    try {
      await call('PATCH', path`/admin/keys/${id}`, { body: changes });
      setEditing(null);
      await load();
    } catch (err) {
      setError(describe(err));
    }
  };

  const revoke = async (key: ApiKey) => {
    setRevoking(null);
    try {
      await call('DELETE', path`/admin/keys/${key.id}`);
      await load();
    } catch (err) {
      setError(describe(err));
    }
  };

  return (
    <>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {created !== null && (
        <section class="card created" aria-labelledby="created-title">
          <h2 id="created-title">New key {created.id}</h2>
          <p>
            <strong>This is the only time the key is shown.</strong> Copy it now; the gateway keeps
            only a hash of it.
          </p>
          <div class="row">
            <label class="grow">
              Key
              <input
                ref={secret}
                readOnly
                value={created.key}
                data-testid="new-key"
                spellcheck={false}
              />
            </label>
            <button type="button" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" class="primary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </section>
      )}
      <details class="card" open={keys !== null && keys.length === 0}>
        <summary>
          <h2>Create a key</h2>
        </summary>
        <form class="stack" onSubmit={create}>
          <div class="row">
            <label class="grow">
              Name
              <input name="name" required maxLength={100} autoComplete="off" />
            </label>
            <label class="grow">
              Models <span class="muted">(names, or * for all)</span>
              <input name="models" defaultValue="*" autoComplete="off" />
            </label>
          </div>
          <fieldset>
            <legend>Scopes</legend>
            {['predict', 'jobs', 'admin'].map((s) => (
              <label class="check" key={s}>
                <input type="checkbox" name="scopes" value={s} defaultChecked={s === 'predict'} />{' '}
                {s}
              </label>
            ))}
          </fieldset>
          <LimitFields />
          <label>
            Expires <span class="muted">(optional, end of that day UTC)</span>
            <input type="date" name="expires_at" />
          </label>
          <div>
            <button type="submit" class="primary">
              Create key
            </button>
          </div>
        </form>
      </details>
      <h2>Keys</h2>
      {keys === null ? (
        <p>Loading…</p>
      ) : keys.length === 0 ? (
        <p>No keys yet.</p>
      ) : (
        <ScrollBox label="API keys">
          <table>
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Models</th>
                <th scope="col">Per minute</th>
                <th scope="col">Rows a day</th>
                <th scope="col">Rows a month</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <th scope="row">
                    <code>{k.id}</code>
                  </th>
                  <td>{k.name ?? ''}</td>
                  <td>{(k.scopes ?? []).join(', ')}</td>
                  <td>{Array.isArray(k.models) ? k.models.join(', ') : (k.models ?? '')}</td>
                  <td>{count(k.rate_limit_per_minute)}</td>
                  <td>{count(k.rows_per_day)}</td>
                  <td>{count(k.rows_per_month)}</td>
                  <td>{when(k.expires_at)}</td>
                  <td>{k.disabled ? 'disabled' : 'active'}</td>
                  <td class="actions">
                    <button
                      type="button"
                      onClick={() => setEditing(editing === k.id ? null : k.id)}
                      aria-expanded={editing === k.id}
                    >
                      Edit limits<span class="visually-hidden"> of {k.id}</span>
                    </button>
                    <button
                      type="button"
                      onClick={() => void patch(k.id, { disabled: !k.disabled })}
                    >
                      {k.disabled ? 'Enable' : 'Disable'}
                      <span class="visually-hidden"> {k.id}</span>
                    </button>
                    <button type="button" class="danger" onClick={() => setRevoking(k)}>
                      Revoke<span class="visually-hidden"> {k.id}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
      {editing !== null && keys !== null && (
        <EditLimits
          apiKey={keys.find((k) => k.id === editing) as ApiKey}
          onSave={(changes) => void patch(editing, changes as unknown as Record<string, unknown>)}
          onCancel={() => setEditing(null)}
        />
      )}
      {revoking !== null && (
        <Confirm
          title={`Revoke key ${revoking.id}?`}
          confirmLabel="Revoke"
          onCancel={() => setRevoking(null)}
          onConfirm={() => void revoke(revoking)}
        >
          <p>Callers using it get 401 from now on. This cannot be undone.</p>
        </Confirm>
      )}
      <UsageChart usage={usage} />
    </>
  );
}
