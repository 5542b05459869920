import type { DriftProfile, ModelManifest } from '@mlapi/contracts';
import { FEATURES } from './iris.js';
import { INPUT_NAME, IR_VERSION, OPSET, OUTPUT_NAME } from './onnx-export.js';

/** models/<name>/model.json: the shared contract (@mlapi/contracts) plus export details. */
export interface Manifest extends ModelManifest {
  readonly platform: 'onnxruntime';
  /** Held-out accuracy measured by ONNX Runtime on the exported graph. */
  readonly accuracy: number;
  readonly description: string;
  /** Input columns, in order, in centimetres. */
  readonly features: readonly string[];
  readonly parameters: number;
  readonly flopsPerRow: number;
  readonly opset: number;
  readonly irVersion: number;
  readonly sha256: string;
  readonly aliases: readonly string[];
  readonly training: Readonly<Record<string, unknown>>;
  /** The training rows' reference profile (per-feature bins, class counts), for drift. */
  readonly drift: DriftProfile;
}

export function buildManifest(fields: {
  name: string;
  version: string;
  labels: readonly string[];
  aliases: readonly string[];
  accuracy: number;
  description: string;
  parameters: number;
  flopsPerRow: number;
  sha256: string;
  training: Readonly<Record<string, unknown>>;
  drift: DriftProfile;
}): Manifest {
  return {
    name: fields.name,
    version: fields.version,
    platform: 'onnxruntime',
    inputs: [{ name: INPUT_NAME, datatype: 'FP32', shape: [-1, FEATURES.length] }],
    outputs: [{ name: OUTPUT_NAME, datatype: 'FP32', shape: [-1, fields.labels.length] }],
    labels: fields.labels,
    aliases: fields.aliases,
    accuracy: fields.accuracy,
    description: fields.description,
    features: FEATURES,
    parameters: fields.parameters,
    flopsPerRow: fields.flopsPerRow,
    opset: OPSET,
    irVersion: IR_VERSION,
    sha256: fields.sha256,
    training: fields.training,
    drift: fields.drift,
  };
}
