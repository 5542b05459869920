import { ApiError } from '../errors.js';

/** A row line longer than this is refused: 4,096 values need far less. */
const MAX_LINE_BYTES = 256 * 1024;

/**
 * The rows of an NDJSON upload (one JSON array a line), parsed as they stream in: the upload is
 * never held whole. Blank lines are skipped. A line that is not JSON fails naming its row.
 */
export async function* ndjsonRows(body: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  let partial = '';
  let row = 0;
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new ApiError('BAD_INPUT', `row ${row}: not valid JSON`);
    }
  };
  for await (const piece of body) {
    partial += typeof piece === 'string' ? piece : piece.toString('utf8');
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
      if (line === '') continue;
      yield parse(line);
      row++;
    }
    if (partial.length > MAX_LINE_BYTES) {
      throw new ApiError('BAD_INPUT', `row ${row}: line longer than ${MAX_LINE_BYTES} bytes`);
    }
  }
  const last = partial.trim();
  if (last !== '') yield parse(last);
}
