import { useEffect, useState } from 'preact/hooks';
import { Chart, PALETTE } from '../components/chart.js';
import { ScrollBox } from '../components/scroll-box.js';
import { count, ms, percent, rate } from '../format.js';
import type { HeadingRef } from '../router.js';
import { subscribe } from '../sse.js';
import { applyTick, type SeriesStats, type StatsSnapshot, seriesKey } from '../stats.js';

/**
 * Models: every model and version with its live workers, queue depth, request rate, latency
 * quantiles, error rate and cache hit ratio, live from GET /stats/models/events.
 */
export function ModelsPage(props: { heading: HeadingRef }) {
  const [stats, setStats] = useState<StatsSnapshot | null>(null);
  const [connected, setConnected] = useState<boolean | null>(null);

  useEffect(() => {
    const sub = subscribe('/stats/models/events', {
      onState: setConnected,
      onEvent(event) {
        const data = JSON.parse(event.data) as StatsSnapshot;
        if (event.event === 'snapshot') setStats(data);
        else if (event.event === 'tick')
          setStats((held) => (held === null ? data : applyTick(held, data)));
      },
    });
    return () => sub.close();
  }, []);

  return (
    <section aria-labelledby="models-title">
      <div class="title-row">
        <h1 id="models-title" tabIndex={-1} ref={props.heading}>
          Models
        </h1>
        <span class={`live ${connected === false ? 'off' : ''}`} role="status">
          {connected === null ? 'connecting…' : connected ? 'live' : 'reconnecting…'}
        </span>
      </div>
      {stats === null ? (
        <p>Waiting for the first figures…</p>
      ) : stats.series.length === 0 ? (
        <p>
          No model has announced itself yet. Start a worker (see the README) and it appears here.
        </p>
      ) : (
        <>
          <p class="muted">
            Rates, latencies, errors and cache hits are those of gateway{' '}
            <code>{stats.instance}</code> over the last{' '}
            {Math.round((stats.series[0]?.summary.window_ms ?? 60_000) / 1000)} s; workers and queue
            depth are the whole deployment's.
          </p>
          <ScrollBox label="Live figures per model and version">
            <table class="figures">
              <caption class="visually-hidden">Live figures per model and version</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Version</th>
                  <th scope="col">Workers</th>
                  <th scope="col">Queue</th>
                  <th scope="col">Requests</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                  <th scope="col">p99</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Cache hits</th>
                </tr>
              </thead>
              <tbody>
                {stats.series.map((s) => (
                  <tr key={seriesKey(s)} data-series={seriesKey(s)}>
                    <th scope="row">{s.model_name}</th>
                    <td>{s.model_version}</td>
                    <td data-field="workers" class={s.workers === 0 ? 'bad' : ''}>
                      {count(s.workers)}
                    </td>
                    <td data-field="queue">{count(s.queue_depth)}</td>
                    <td data-field="rate">{rate(s.summary.request_rate)}</td>
                    <td>{ms(s.summary.p50_ms)}</td>
                    <td>{ms(s.summary.p95_ms)}</td>
                    <td>{ms(s.summary.p99_ms)}</td>
                    <td data-field="errors" class={(s.summary.error_rate ?? 0) > 0 ? 'bad' : ''}>
                      {percent(s.summary.error_rate)}
                    </td>
                    <td data-field="cache">{percent(s.summary.cache_hit_ratio)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
          <div class="cards">
            {stats.series.map((s) => (
              <SeriesCard key={seriesKey(s)} series={s} intervalMs={stats.interval_ms} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function SeriesCard(props: { series: SeriesStats; intervalMs: number }) {
  const { series, intervalMs } = props;
  const times = series.points.map((p) => p.t / 1000);
  const perSecond = 1000 / intervalMs;
  const name = `${series.model_name} version ${series.model_version}`;
  return (
    <article class="card" aria-label={name}>
      <h2>
        {series.model_name} <span class="muted">v{series.model_version}</span>
      </h2>
      <Chart
        title={`Requests per second of ${name} over the last minutes`}
        times={times}
        unit="/s"
        series={[
          {
            label: 'requests/s',
            stroke: PALETTE[0] as string,
            values: series.points.map((p) => p.requests * perSecond),
          },
          {
            label: 'errors/s',
            stroke: PALETTE[2] as string,
            values: series.points.map((p) => p.errors * perSecond),
          },
        ]}
      />
      <Chart
        title={`Latency quantiles of ${name} over the last minutes`}
        times={times}
        unit="ms"
        series={[
          {
            label: 'p50',
            stroke: PALETTE[3] as string,
            values: series.points.map((p) => p.p50_ms),
          },
          {
            label: 'p95',
            stroke: PALETTE[1] as string,
            values: series.points.map((p) => p.p95_ms),
          },
          {
            label: 'p99',
            stroke: PALETTE[2] as string,
            values: series.points.map((p) => p.p99_ms),
          },
        ]}
      />
    </article>
  );
}
