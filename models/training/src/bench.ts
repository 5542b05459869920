#!/usr/bin/env node
/**
 * In-process cost of each exported model: µs per row at a few batch sizes, one intra-op thread,
 * inputs drawn from the iris ranges. Prints a table; the worker's `bench:models` is the
 * through-the-broker figure.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor } from 'onnxruntime-node';
import { DEFAULT_OPTIONS } from './export-options.js';
import { createSession } from './inference.js';
import { MODEL_NAMES } from './models.js';
import { INPUT_NAME } from './onnx-export.js';
import { Prng } from './prng.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: DEFAULT_OPTIONS.outDir },
    batches: { type: 'string', default: '1,64,256' },
    ms: { type: 'string', default: '1500' },
  },
});
const batches = (values.batches ?? '').split(',').map(Number);
const budgetMs = Number(values.ms);
const rng = new Prng(7);
const low = [4.3, 2.0, 1.0, 0.1];
const high = [7.9, 4.4, 6.9, 2.5];

const results: Record<string, Record<string, number>> = {};
for (const name of MODEL_NAMES) {
  const bytes = await readFile(join(values.dir ?? '', name, 'model.onnx'));
  const session = await createSession(bytes);
  results[name] = {};
  for (const batch of batches) {
    const data = new Float32Array(batch * 4);
    for (let i = 0; i < data.length; i++) {
      const j = i % 4;
      data[i] = (low[j] as number) + rng.next() * ((high[j] as number) - (low[j] as number));
    }
    const feeds = { [INPUT_NAME]: new Tensor('float32', data, [batch, 4]) };
    // Warm up: the first runs allocate arenas and fault in the weights.
    for (let i = 0; i < 20; i++) await session.run(feeds);
    let runs = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(budgetMs) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      await session.run(feeds);
      runs += 1;
      now = process.hrtime.bigint();
    }
    const usPerRun = Number(now - start) / 1000 / runs;
    // CPU time (all threads of this process) is steadier than wall time on a shared machine.
    const cpu = process.cpuUsage(cpuStart);
    const cpuPerRow = (cpu.user + cpu.system) / runs / batch;
    (results[name] as Record<string, number>)[`batch${batch}`] = cpuPerRow;
    console.log(
      `${name.padEnd(12)} batch ${String(batch).padStart(4)}: ${usPerRun.toFixed(1).padStart(9)} µs/run (wall) ${(usPerRun / batch).toFixed(3).padStart(9)} µs/row (wall) ${cpuPerRow.toFixed(3).padStart(9)} µs/row (cpu)  ${runs} runs`,
    );
  }
  await session.release();
}
for (const batch of batches) {
  const key = `batch${batch}`;
  const [f, i, s] = MODEL_NAMES.map((n) => results[n]?.[key] ?? Number.NaN);
  console.log(
    `batch ${batch} (cpu): intermediate/fast ${((i as number) / (f as number)).toFixed(1)}x, slow/intermediate ${((s as number) / (i as number)).toFixed(1)}x`,
  );
}
