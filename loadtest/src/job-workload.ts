/**
 * The inputs of the jobs cells: rows that no other row of the run repeats, inside the iris
 * feature ranges (sepal length 4.3-7.9, sepal width 2.0-4.4, petal length 1.0-6.9, petal width
 * 0.1-2.5), so every row is a real model call and the models see the inputs they were made for.
 */

/** Sepal length in millionths over its 3.6 cm range: 3,600,000 distinct values. */
const SEPAL_LENGTH_STEPS = 3_600_000;
/** Sepal width in thousandths over its 2.4 cm range. */
const SEPAL_WIDTH_STEPS = 2400;
/**
 * Rows with keys this far apart or closer never repeat: sepal length and width together spell
 * key modulo this.
 */
export const UNIQUE_SPAN = SEPAL_LENGTH_STEPS * SEPAL_WIDTH_STEPS;

/**
 * The row of one key, as JSON text. Consecutive keys differ in sepal length (and, every 3.6
 * million keys, in sepal width); the petal values are a hash of the key, so predictions vary.
 */
export function uniqueRow(key: number): string {
  const sepalLength = (4_300_000 + (key % SEPAL_LENGTH_STEPS)) / 1e6;
  const sepalWidth = (2000 + (Math.floor(key / SEPAL_LENGTH_STEPS) % SEPAL_WIDTH_STEPS)) / 1000;
  let h = key % 0x1_0000_0000;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  const petalLength = (1000 + (h % 5900)) / 1000;
  const petalWidth = (100 + ((h >>> 13) % 2400)) / 1000;
  return `[${sepalLength},${sepalWidth},${petalLength},${petalWidth}]`;
}

/** `count` rows from key `salt` on, one a line: the body of an NDJSON job upload. */
export function ndjsonUpload(salt: number, count: number): Buffer {
  const pieces: Buffer[] = [];
  // Joined a slice at a time: one string of a million rows would be built twice over.
  for (let first = 0; first < count; first += 65_536) {
    const lines: string[] = [];
    for (let i = first; i < Math.min(count, first + 65_536); i++) lines.push(uniqueRow(salt + i));
    pieces.push(Buffer.from(`${lines.join('\n')}\n`));
  }
  return Buffer.concat(pieces);
}

/**
 * The same `count` rows as `/predict` bodies of `rowsPerRequest` rows each (the last may hold
 * fewer), in order.
 */
export function predictBodies(
  model: string,
  salt: number,
  count: number,
  rowsPerRequest: number,
): { body: string; rows: number }[] {
  const bodies: { body: string; rows: number }[] = [];
  for (let first = 0; first < count; first += rowsPerRequest) {
    const rows: string[] = [];
    for (let i = first; i < Math.min(count, first + rowsPerRequest); i++) {
      rows.push(uniqueRow(salt + i));
    }
    bodies.push({
      body: `{"model_name":"${model}","input_data":[${rows.join(',')}]}`,
      rows: rows.length,
    });
  }
  return bodies;
}
