import type { ApiKey } from './keys.js';

/** A key's limits; null is "no limit". */
export interface Limits {
  rate_limit_per_minute: number | null;
  rows_per_day: number | null;
  rows_per_month: number | null;
}

/** An empty field is "no limit" (null); otherwise a whole number. */
export function limit(value: FormDataEntryValue | null): number | null {
  const text = typeof value === 'string' ? value.trim() : '';
  return text === '' ? null : Number.parseInt(text, 10);
}

/**
 * Keys and usage. With the admin scope: create a key (shown once, with a copy button), list,
 * revoke, edit limits, and a chart of rows per key per day. Any signed-in key: its own limits and
 * use (GET /v1/usage).
 */

export function LimitFields(props: { values?: Partial<Limits> }) {
  const v = props.values ?? {};
  const field = (name: keyof Limits, label: string) => (
    <label class="grow">
      {label} <span class="muted">(empty: no limit)</span>
      <input
        type="number"
        name={name}
        min={0}
        step={1}
        defaultValue={v[name] == null ? '' : String(v[name])}
      />
    </label>
  );
  return (
    <div class="row">
      {field('rate_limit_per_minute', 'Requests per minute')}
      {field('rows_per_day', 'Rows per day')}
      {field('rows_per_month', 'Rows per month')}
    </div>
  );
}

export function EditLimits(props: {
  apiKey: ApiKey;
  onSave: (limits: Limits) => void;
  onCancel: () => void;
}) {
  const { apiKey } = props;
  return (
    <form
      class="card stack"
      aria-label={`Limits of key ${apiKey.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.target as HTMLFormElement);
        props.onSave({
          rate_limit_per_minute: limit(data.get('rate_limit_per_minute')),
          rows_per_day: limit(data.get('rows_per_day')),
          rows_per_month: limit(data.get('rows_per_month')),
        });
      }}
    >
      <h2>Limits of {apiKey.name ?? apiKey.id}</h2>
      <LimitFields values={apiKey as Partial<Limits>} />
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary">
          Save limits
        </button>
      </div>
    </form>
  );
}
