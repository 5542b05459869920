import t from 'tap';
import {
  formatJobs,
  JOB_TARGETS,
  type JobsResult,
  type JobsThroughput,
  ratio,
  verdict,
} from '../src/job-figures.js';
import { ndjsonUpload, predictBodies, UNIQUE_SPAN, uniqueRow } from '../src/job-workload.js';

// Sepal length, sepal width, petal length, petal width: the ranges of the iris data set.
const RANGES: [number, number][] = [
  [4.3, 7.9],
  [2.0, 4.4],
  [1.0, 6.9],
  [0.1, 2.5],
];

t.test('rows are unique over a run and inside the iris ranges', async (t) => {
  const inRange = (v: number, i: number) => {
    const [low, high] = RANGES[i] ?? [Number.NaN, Number.NaN];
    return v >= low && v <= high;
  };
  // A salt as large as the harness's (runSalt * 1e9).
  const salt = 980e9;
  const seen = new Set<string>();
  for (let key = salt; key < salt + 200_000; key++) seen.add(uniqueRow(key));
  t.equal(seen.size, 200_000, 'no row repeats among consecutive keys');
  // Every value's whole cycle: keys strided (by a prime) across the span of unique rows.
  for (let key = salt; key < salt + UNIQUE_SPAN; key += 43_201) {
    const row = JSON.parse(uniqueRow(key)) as number[];
    if (row.length !== 4 || !row.every(inRange)) {
      t.fail(`row ${key} is ${uniqueRow(key)}`);
      return;
    }
  }
  t.ok(UNIQUE_SPAN > 4 * 1_000_000, 'the four regions of a million-row run fit in the span');
});

t.test('the job upload and the sync bodies carry the same rows, in order', async (t) => {
  const upload = ndjsonUpload(42, 1000).toString('utf8');
  t.ok(upload.endsWith('\n'), 'every line ends');
  const lines = upload.trimEnd().split('\n');
  t.equal(lines.length, 1000);
  t.equal(lines[999], uniqueRow(42 + 999));

  const bodies = predictBodies('fast', 42, 1000, 256);
  t.same(
    bodies.map((b) => b.rows),
    [256, 256, 256, 232],
  );
  const rows = bodies.flatMap((b) => {
    const parsed = JSON.parse(b.body) as { model_name: string; input_data: number[][] };
    t.equal(parsed.model_name, 'fast');
    t.equal(parsed.input_data.length, b.rows);
    return parsed.input_data;
  });
  t.same(
    rows,
    lines.map((l) => JSON.parse(l)),
  );
});

t.test('ratios and the targets they are held to', async (t) => {
  t.equal(ratio(90_171, 80_000), 1.13);
  t.equal(ratio(1, 0), null, 'nothing to compare with');
  t.equal(verdict(JOB_TARGETS.jobVsSyncMin, JOB_TARGETS.jobVsSyncMin, 'min'), 'met');
  t.equal(verdict(0.99, JOB_TARGETS.jobVsSyncMin, 'min'), 'MISSED');
  t.equal(verdict(3, JOB_TARGETS.interactiveP99RatioMax, 'max'), 'met');
  t.equal(verdict(3.01, JOB_TARGETS.interactiveP99RatioMax, 'max'), 'MISSED');
  t.equal(verdict(null, 3, 'max'), 'not measured');
});

t.test('the printed figures name a missed target and every failure', async (t) => {
  const throughput: JobsThroughput = {
    rows: 1_000_000,
    job_seconds: 20,
    job_upload_seconds: 19,
    job_rows_per_s: 50_000,
    job_status: 'succeeded',
    result_rows: 999_000,
    sync_rows_per_request: 1024,
    sync_concurrency: 4,
    sync_seconds: 12.5,
    sync_rows_per_s: 80_000,
    sync_failed_requests: 0,
    job_vs_sync: 0.63,
    in_process: null,
    job_vs_in_process: null,
  };
  const result: JobsResult = {
    throughput,
    interactive: null,
    failures: ["the fast job's result has 999,000 rows; it was sent 1,000,000"],
    loadavg_1m: 1,
    cpus: 2,
  };
  const text = formatJobs(result);
  t.match(text, /job\/sync 0\.63x \(target >= 1x: MISSED\)/);
  t.match(text, /FAILURE: the fast job's result has 999,000 rows/);
  t.match(text, /in-process ONNX rows\/s: not available/);
});
