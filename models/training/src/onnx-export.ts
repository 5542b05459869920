import type { onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import type { Network } from './network.js';

const proto = onnxProto.onnx;

/** ONNX opset 17 (ONNX 1.12); every op used here has been stable since opset 13. */
export const OPSET = 17;
/** IR version 8 is what opset 17 models carry and what onnx-proto's schema (ONNX 1.10) knows. */
export const IR_VERSION = 8;
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'probabilities';

export interface GraphDescription {
  readonly name: string;
  readonly docString: string;
  readonly labels: readonly string[];
}

/**
 * Encodes the network as an ONNX ModelProto: per layer a Gemm (with bias) or MatMul (without),
 * then Relu where the layer has one, and a final Softmax named `probabilities`. The batch
 * dimension is symbolic so one session serves any batch size. Nothing time- or host-dependent
 * goes in, so the same network always encodes to the same bytes.
 */
export function encodeModel(network: Network, description: GraphDescription): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let current = INPUT_NAME;
  for (const [l, layer] of network.layers.entries()) {
    const weightName = `layer${l}.weight`;
    initializers.push(floatTensor(weightName, [layer.inputs, layer.outputs], layer.weight));
    const output = `layer${l}.linear`;
    if (layer.bias) {
      const biasName = `layer${l}.bias`;
      initializers.push(floatTensor(biasName, [layer.outputs], layer.bias));
      nodes.push({
        name: `layer${l}/Gemm`,
        opType: 'Gemm',
        input: [current, weightName, biasName],
        output: [output],
      });
    } else {
      nodes.push({
        name: `layer${l}/MatMul`,
        opType: 'MatMul',
        input: [current, weightName],
        output: [output],
      });
    }
    current = output;
    if (layer.relu) {
      const activated = `layer${l}.relu`;
      nodes.push({ name: `layer${l}/Relu`, opType: 'Relu', input: [current], output: [activated] });
      current = activated;
    }
  }
  nodes.push({
    name: 'softmax',
    opType: 'Softmax',
    input: [current],
    output: [OUTPUT_NAME],
    attribute: [{ name: 'axis', type: proto.AttributeProto.AttributeType.INT, i: -1 }],
  });

  const first = network.layers[0];
  const last = network.layers.at(-1);
  const model = proto.ModelProto.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mlapi-training',
    producerVersion: '1',
    domain: 'dev.mlapi',
    modelVersion: 1,
    docString: description.docString,
    graph: {
      name: description.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(INPUT_NAME, first?.inputs ?? 0)],
      output: [valueInfo(OUTPUT_NAME, last?.outputs ?? 0)],
    },
    metadataProps: [{ key: 'labels', value: description.labels.join(',') }],
  });
  return proto.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return proto.ModelProto.decode(bytes);
}

function floatTensor(name: string, dims: number[], values: Float64Array): onnx.ITensorProto {
  // raw_data is little-endian by the ONNX spec, whatever the host's byte order.
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dims, dataType: proto.TensorProto.DataType.FLOAT, rawData: raw };
}

function valueInfo(name: string, width: number): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: proto.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] },
      },
    },
  };
}
