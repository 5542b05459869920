import type { JobRecord, JobStore } from './job-store.js';

/**
 * A succeeded job's results in input order, read one chunk at a time from the store, so a job
 * of a million rows is never one string. NDJSON: one line a row. JSON: `{predictions,
 * probabilities, labels}`, written in three passes over the chunks.
 */
export async function* ndjsonResults(store: JobStore, job: JobRecord): AsyncGenerator<string> {
  let row = 0;
  for await (const answers of chunks(store, job)) {
    const lines: string[] = [];
    for (let i = 0; i < answers.predictions.length; i++) {
      const prediction = answers.predictions[i] as number;
      lines.push(
        JSON.stringify({
          row: row++,
          prediction,
          probabilities: answers.probabilities[i],
          label: job.labels[prediction] ?? null,
        }),
      );
    }
    lines.push('');
    yield lines.join('\n');
  }
}

export async function* jsonResults(store: JobStore, job: JobRecord): AsyncGenerator<string> {
  const fields = ['predictions', 'probabilities', 'labels'] as const;
  for (const [f, field] of fields.entries()) {
    yield `${f === 0 ? '{' : ','}"${field}":[`;
    let first = true;
    for await (const answers of chunks(store, job)) {
      const values =
        field === 'labels' ? answers.predictions.map((p) => job.labels[p] ?? null) : answers[field];
      if (values.length === 0) continue;
      const text = JSON.stringify(values);
      yield (first ? '' : ',') + text.slice(1, -1);
      first = false;
    }
    yield ']';
  }
  yield '}';
}

async function* chunks(store: JobStore, job: JobRecord) {
  const total = job.chunks_total ?? 0;
  for (let n = 0; n < total; n++) {
    const answers = await store.chunk(job.job_id, n);
    // A succeeded job has every chunk; one missing means the retention ran out mid-read.
    if (answers === null) throw new Error(`job ${job.job_id}: chunk ${n} is missing`);
    yield answers;
  }
}
