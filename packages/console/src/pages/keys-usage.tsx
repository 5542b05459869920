import { useEffect, useState } from 'preact/hooks';
import { call, describe } from '../api.js';
import { Chart, PALETTE } from '../components/chart.js';
import { ScrollBox } from '../components/scroll-box.js';
import { count } from '../format.js';
import type { DailyUsage } from '../usage.js';

/** The signed-in key's own limits and use (GET /v1/usage). */
export function OwnUsage() {
  const [usage, setUsage] = useState<unknown>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call<unknown>('GET', '/v1/usage').then(setUsage, (err) => setError(describe(err)));
  }, []);
  return (
    <div class="card">
      <h2>Your key</h2>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {usage !== null && (
        <dl class="pairs">
          {Object.entries(flatten(usage)).map(([k, v]) => (
            <div key={k}>
              <dt>{k.replaceAll('_', ' ')}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

/** Nested figures as "a.b: value" pairs, for a definition list. */
function flatten(value: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out[prefix || 'value'] = Array.isArray(value) ? value.join(', ') : String(value);
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    const name = prefix ? `${prefix} ${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      Object.assign(out, flatten(v, name));
    else out[name] = v === null ? '—' : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** Rows per key per day (GET /admin/usage), as a chart and as a table. */
export function UsageChart(props: { usage: DailyUsage[] }) {
  const days = [...new Set(props.usage.map((u) => u.day))].sort();
  const keys = [...new Set(props.usage.map((u) => u.key))].sort();
  if (days.length === 0) {
    return (
      <div class="card">
        <h2>Usage per key per day</h2>
        <p>No usage recorded yet.</p>
      </div>
    );
  }
  const rows = new Map(props.usage.map((u) => [`${u.key}|${u.day}`, u.rows]));
  return (
    <div class="card">
      <h2>Usage per key per day</h2>
      <Chart
        title={`Rows per day for ${keys.length} keys`}
        times={days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000)}
        unit=""
        bars={keys.length === 1}
        series={keys.map((k, i) => ({
          label: k,
          stroke: PALETTE[i % PALETTE.length] as string,
          values: days.map((d) => rows.get(`${k}|${d}`) ?? 0),
        }))}
      />
      <details>
        <summary>The same figures as a table</summary>
        <ScrollBox label="Rows per key per day">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {keys.map((k) => (
                  <th scope="col" key={k}>
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  {keys.map((k) => (
                    <td key={k}>{count(rows.get(`${k}|${d}`) ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      </details>
    </div>
  );
}
