import { InferenceSession, Tensor } from 'onnxruntime-node';
import { TrainingError } from './errors.js';
import { argmax } from './matrix.js';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-export.js';

export interface Predictions {
  readonly probabilities: number[][];
  /** argmax of each row of `probabilities`, first maximum winning (the worker's rule). */
  readonly predictions: number[];
}

/** One intra-op thread: the figures and outputs then match what a worker pod computes. */
export function createSession(model: Uint8Array): Promise<InferenceSession> {
  return InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}

export async function predict(
  session: InferenceSession,
  rows: readonly (readonly number[])[],
  classes: number,
): Promise<Predictions> {
  const width = rows[0]?.length ?? 0;
  const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);
  const outputs = await session.run({ [INPUT_NAME]: input });
  const output = outputs[OUTPUT_NAME];
  if (output?.type !== 'float32' || output.dims.join() !== `${rows.length},${classes}`) {
    throw new TrainingError('BAD_GRAPH', `output ${OUTPUT_NAME} is missing or misshapen`);
  }
  const data = output.data as Float32Array;
  const probabilities: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    probabilities.push(Array.from(data.subarray(i * classes, (i + 1) * classes)));
  }
  return { probabilities, predictions: probabilities.map(argmax) };
}
