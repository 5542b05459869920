import { useEffect, useState } from 'preact/hooks';
import { call, describe, path } from '../api.js';
import { Confirm } from '../components/confirm.js';
import { listModels, modelInfo } from '../models-api.js';
import type { HeadingRef } from '../router.js';
import { sessionValue, setSessionValue } from '../session.js';

/** DESIGN.md's traffic policy: integer weights per version, and an optional shadow. */
export interface Policy {
  weights: Record<string, number>;
  shadow?: { version: string; percent: number };
}

interface ModelTraffic {
  model: string;
  versions: string[];
  policy: Policy;
}

/** The GET/PUT answer is a view of the model's traffic; its `policy` is null when none is set. */
function normalize(view: unknown): Policy {
  const record = ((view as { policy?: unknown } | null)?.policy ?? {}) as {
    weights?: unknown;
    shadow?: unknown;
  };
  const weights: Record<string, number> = {};
  if (typeof record.weights === 'object' && record.weights !== null) {
    for (const [v, w] of Object.entries(record.weights)) if (typeof w === 'number') weights[v] = w;
  }
  const shadow = record.shadow as { version?: unknown; percent?: unknown } | null | undefined;
  const policy: Policy = { weights };
  if (shadow && typeof shadow.version === 'string' && typeof shadow.percent === 'number') {
    policy.shadow = { version: shadow.version, percent: shadow.percent };
  }
  return policy;
}

function describePolicy(policy: Policy): string {
  const total = Object.values(policy.weights).reduce((a, b) => a + b, 0);
  const parts = Object.entries(policy.weights).map(
    ([v, w]) => `${v}: ${w}${total > 0 ? ` (${Math.round((w * 100) / total)}%)` : ''}`,
  );
  const weights = parts.length > 0 ? parts.join(', ') : 'by live workers (no weights)';
  const shadow = policy.shadow
    ? `; shadow ${policy.shadow.version} at ${policy.shadow.percent}%`
    : '';
  return weights + shadow;
}

/**
 * Traffic: each model's policy from GET /admin/models/{m}/traffic. Weights and shadow change
 * with sliders and a confirmation; promoting a version (all traffic to it) and rolling back (the
 * policy in force before the last change made here) take one click.
 */
export function TrafficPage(props: { heading: HeadingRef }) {
  const [models, setModels] = useState<ModelTraffic[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const load = async () => {
    try {
      const names = await listModels();
      const loaded = await Promise.all(
        names.map(async (model) => {
          const [policy, info] = await Promise.all([
            call<unknown>('GET', path`/admin/models/${model}/traffic`).then(normalize),
            modelInfo(model).catch(() => null),
          ]);
          const versions = new Set([...(info?.versions ?? []), ...Object.keys(policy.weights)]);
          if (policy.shadow) versions.add(policy.shadow.version);
          return { model, versions: [...versions].sort(), policy };
        }),
      );
      setModels(loaded);
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  };

  useEffect(() => {
    void load();
  }, []);

  const apply = async (model: string, before: Policy, next: Policy, what: string) => {
    try {
      await call('PUT', path`/admin/models/${model}/traffic`, { body: next });
      setSessionValue(`traffic-before.${model}`, before);
      setDone(`${model}: ${what}. The policy is now: ${describePolicy(next)}.`);
      await load();
    } catch (err) {
      setError(`${model}: ${describe(err)}`);
    }
  };

  return (
    <section aria-labelledby="traffic-title">
      <h1 id="traffic-title" tabIndex={-1} ref={props.heading}>
        Traffic
      </h1>
      <p class="muted">
        Weights are shares: a version's share of callers is its weight over the sum. Callers are
        assigned by a sticky hash, so raising a canary moves callers only towards it. A shadow
        version sees a copy of a percentage of requests; its answers are never returned.
      </p>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" class="notice-slot">
        {done}
      </p>
      {models === null ? (
        <p>Loading…</p>
      ) : models.length === 0 ? (
        <p>No model has announced itself yet.</p>
      ) : (
        models.map((m) => (
          <ModelPolicy key={`${m.model}:${JSON.stringify(m.policy)}`} traffic={m} onApply={apply} />
        ))
      )}
    </section>
  );
}

function ModelPolicy(props: {
  traffic: ModelTraffic;
  onApply: (model: string, before: Policy, next: Policy, what: string) => Promise<void>;
}) {
  const { model, versions, policy } = props.traffic;
  const [weights, setWeights] = useState<Record<string, number>>(() =>
    Object.fromEntries(versions.map((v) => [v, policy.weights[v] ?? 0])),
  );
  const [shadowVersion, setShadowVersion] = useState(policy.shadow?.version ?? '');
  const [shadowPercent, setShadowPercent] = useState(policy.shadow?.percent ?? 0);
  const [confirming, setConfirming] = useState<Policy | null>(null);
  const previous = sessionValue<Policy | null>(`traffic-before.${model}`, null);
  const id = (what: string) => `traffic-${model}-${what}`.replace(/[^a-zA-Z0-9_-]/g, '_');

  const draft = (): Policy => {
    const next: Policy = {
      weights: Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0)),
    };
    if (shadowVersion !== '' && shadowPercent > 0) {
      next.shadow = { version: shadowVersion, percent: shadowPercent };
    }
    return next;
  };
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const changed = JSON.stringify(draft()) !== JSON.stringify(policy);

  return (
    <article class="card" aria-labelledby={id('title')} data-model={model}>
      <h2 id={id('title')}>{model}</h2>
      <p>
        In force: <span data-testid="policy">{describePolicy(policy)}</span>
      </p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(draft());
        }}
      >
        <fieldset>
          <legend>Weights</legend>
          {versions.length === 0 && <p>No version of {model} has announced itself.</p>}
          {versions.map((v) => (
            <div class="slider" key={v}>
              <label for={id(`w-${v}`)}>Weight of version {v}</label>
              <input
                id={id(`w-${v}`)}
                type="range"
                min={0}
                max={100}
                step={1}
                value={weights[v] ?? 0}
                aria-describedby={id(`share-${v}`)}
                onInput={(e) =>
                  setWeights({ ...weights, [v]: Number((e.target as HTMLInputElement).value) })
                }
              />
              <output id={id(`share-${v}`)} for={id(`w-${v}`)}>
                {weights[v] ?? 0}
                {total > 0 ? ` (${Math.round(((weights[v] ?? 0) * 100) / total)}%)` : ''}
              </output>
              <button
                type="button"
                onClick={() =>
                  void props.onApply(
                    model,
                    policy,
                    { weights: { [v]: 100 } },
                    `promoted version ${v}`,
                  )
                }
              >
                Promote {v}
              </button>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Shadow</legend>
          <div class="row">
            <label>
              Shadow version
              <select
                value={shadowVersion}
                onChange={(e) => setShadowVersion((e.target as HTMLSelectElement).value)}
              >
                <option value="">none</option>
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </label>
            <div class="slider">
              <label for={id('shadow')}>Shadow percent</label>
              <input
                id={id('shadow')}
                type="range"
                min={0}
                max={100}
                step={1}
                value={shadowPercent}
                disabled={shadowVersion === ''}
                onInput={(e) => setShadowPercent(Number((e.target as HTMLInputElement).value))}
              />
              <output for={id('shadow')}>{shadowPercent}%</output>
            </div>
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit" class="primary" disabled={!changed}>
            Apply…
          </button>
          {previous !== null && (
            <button
              type="button"
              onClick={() => void props.onApply(model, policy, previous, 'rolled back')}
            >
              Roll back to: {describePolicy(previous)}
            </button>
          )}
        </div>
      </form>
      {confirming !== null && (
        <Confirm
          title={`Change the traffic of ${model}?`}
          confirmLabel="Apply the new policy"
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const next = confirming;
            setConfirming(null);
            void props.onApply(model, policy, next, 'policy changed');
          }}
        >
          <p>
            From: <strong>{describePolicy(policy)}</strong>
          </p>
          <p>
            To: <strong>{describePolicy(confirming)}</strong>
          </p>
          <p class="muted">Every gateway applies it within 2 seconds.</p>
        </Confirm>
      )}
    </article>
  );
}
