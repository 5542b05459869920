import t from 'tap';
import { find, loadManifests } from '../src/manifests.js';
import { readRepoFile } from '../src/repo.js';
import { serviceContract } from '../src/service-contract.js';

// Series that come from exporters rather than our code: the RabbitMQ Prometheus plugin and
// kube-state-metrics.
const EXTERNAL = /^(rabbitmq_|kube_)/;
const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'max',
  'min',
  'avg',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'on',
  'group_left',
  'group_right',
  'without',
  'count',
  'and',
  'or',
  'unless',
  'bool',
  'le',
  'offset',
  'ignoring',
  'absent',
  'clamp_min',
  'topk',
  'bottomk',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    // Label lists of grouping and matching modifiers.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const next = bare.slice((m.index ?? 0) + m[0].length).trimStart();
    if (!next.startsWith('(') && !PROMQL_WORDS.has(m[0])) names.push(m[0]);
  }
  return names;
}
const exported = () => {
  const api = serviceContract('api').metrics;
  const worker = serviceContract('worker').metrics;
  return new Set([...api, ...worker]);
};

t.test('the metric-name extractor skips functions, labels and strings', async (t) => {
  t.same(metricNames('sum by (model_name) (rate(model_predictions_total{a="b"}[5m])) > 0.5'), [
    'model_predictions_total',
  ]);
  t.same(metricNames('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) / on (a) y'), [
    'x_bucket',
    'y',
  ]);
});

t.test('the Grafana dashboard parses and every panel queries metrics that exist', async (t) => {
  const dashboard = JSON.parse(readRepoFile('k8s-config/monitoring/grafana-dashboard.json'));
  const metrics = exported();
  const queried = new Set<string>();
  for (const panel of dashboard.panels) {
    t.ok(panel.targets.length > 0, `${panel.title} has queries`);
    for (const target of panel.targets) {
      for (const name of metricNames(target.expr)) {
        queried.add(name);
        t.ok(metrics.has(name) || EXTERNAL.test(name), `${panel.title}: ${name} is exported`);
      }
    }
  }
  for (const needed of [
    'model_predictions_total',
    'model_prediction_latency_seconds_bucket',
    'model_prediction_errors_total',
    'cache_hits_total',
    'cache_misses_total',
    'rabbitmq_queue_messages_ready',
    'kube_deployment_status_replicas_available',
  ]) {
    t.ok(queried.has(needed), `the dashboard shows ${needed}`);
  }
  for (const needed of [
    'redis_connection_up',
    'redis_connection_errors_total',
    'state_redis_noeviction',
    'state_redis_writes_refused_total',
  ]) {
    t.ok(queried.has(needed), `the dashboard shows ${needed} (issue 16: Redis trouble is visible)`);
  }
  for (const needed of ['model_traffic_share', 'model_shadow_rows_total']) {
    t.ok(queried.has(needed), `the dashboard shows ${needed}`);
  }
  const perVersion = dashboard.panels.filter((p: { repeat?: string }) => p.repeat === 'version');
  t.equal(perVersion.length, 1, 'one panel repeated per version');
  t.ok(
    dashboard.templating.list.some((v: { name: string }) => v.name === 'version'),
    'a version variable drives it',
  );
  for (const target of perVersion[0]?.targets ?? []) {
    t.match(target.expr, /model_version="\$version"/, 'each query is of that version');
  }
  for (const needed of [
    'model_input_drift_psi',
    'model_input_bin_total',
    'model_reference_bin_ratio',
  ]) {
    t.ok(queried.has(needed), `the dashboard shows ${needed}`);
  }
  const perFeature = dashboard.panels.filter((p: { repeat?: string }) => p.repeat === 'feature');
  t.equal(perFeature.length, 1, 'one drift panel repeated per feature');
  t.ok(
    dashboard.templating.list.some((v: { name: string }) => v.name === 'feature'),
    'a feature variable drives it',
  );
  for (const target of perFeature[0]?.targets ?? []) {
    t.match(target.expr, /feature="\$feature"/, 'each query is of that feature');
  }
  const titles = dashboard.panels.map((p: { title: string }) => p.title).join(' | ');
  t.match(titles, /p50.*p95.*p99/, 'latency percentiles');
});

t.test('the alert rules cover latency, errors, queue depth, live workers and drift', async (t) => {
  const rule = find(loadManifests(), 'PrometheusRule', 'mlapi');
  const rules: { alert: string; expr: string; for: string }[] = rule?.body.spec.groups.flatMap(
    (g: { rules: unknown[] }) => g.rules,
  );
  const metrics = exported();
  const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
  t.match(byName.MlapiHighP99Latency?.expr, /histogram_quantile\(0\.99/);
  t.match(byName.MlapiHighP99Latency?.expr, /model_prediction_latency_seconds_bucket/);
  t.match(byName.MlapiHighErrorRate?.expr, /model_prediction_errors_total/);
  t.match(byName.MlapiQueueBacklog?.expr, /rabbitmq_queue_messages_ready/);
  t.match(byName.MlapiNoLiveWorkers?.expr, /model_loaded/);
  for (const canary of ['MlapiCanaryErrorRate', 'MlapiCanaryHighP99']) {
    t.match(byName[canary]?.expr, /model_traffic_share\{role="canary"\}/, `${canary}: the canary`);
    t.match(byName[canary]?.expr, /model_traffic_share\{role="stable"\}/, `${canary}: vs stable`);
  }
  t.match(byName.MlapiCanaryErrorRate?.expr, /model_prediction_errors_total/);
  t.match(byName.MlapiInputDrift?.expr, /model_input_drift_psi\) > 0\.2/, 'input drift: PSI > 0.2');
  t.match(byName.MlapiInputDrift?.expr, /by \(model_name, model_version, feature\)/, 'per feature');
  t.ok(Number.parseInt(byName.MlapiInputDrift?.for ?? '0', 10) >= 15, 'sustained');
  t.match(byName.MlapiCanaryHighP99?.expr, /histogram_quantile\(0\.99/);
  for (const r of rules) {
    t.ok(r.for, `${r.alert} waits before firing`);
    for (const name of metricNames(r.expr)) {
      t.ok(metrics.has(name) || EXTERNAL.test(name), `${r.alert}: ${name} is exported`);
    }
  }
});

t.test('the scrape monitors and annotations match the pods they scrape', async (t) => {
  const all = loadManifests();
  const api = find(all, 'PodMonitor', 'mlapi-api');
  const worker = find(all, 'PodMonitor', 'mlapi-worker');
  t.equal(api?.body.spec.podMetricsEndpoints[0].port, 'http');
  t.equal(worker?.body.spec.podMetricsEndpoints[0].port, 'metrics');
  const gateway = find(all, 'Deployment', 'mlapi-api');
  t.ok(
    gateway?.body.spec.template.spec.containers[0].ports.some(
      (p: { name: string }) => p.name === 'http',
    ),
  );
  for (const m of all.filter(
    (x) => x.kind === 'Deployment' && x.name.startsWith('mlapi-worker-'),
  )) {
    t.same(
      worker?.body.spec.selector.matchLabels,
      { 'app.kubernetes.io/name': m.body.spec.template.metadata.labels['app.kubernetes.io/name'] },
      `${m.name} is selected`,
    );
  }
});
