/**
 * Request examples for the OpenAPI document (`x-examples`, named, shown by Swagger UI). Each one
 * works when pasted against a local stack (`pnpm start`: models fast, intermediate, slow), and
 * test/docs-examples.test.ts sends every one to a real stack and expects the operation's
 * documented 2xx status.
 */

/** Four iris measurements: the width of every shipped model. */
const SETOSA = [5.1, 3.5, 1.4, 0.2];
const VIRGINICA = [6.7, 3.0, 5.2, 2.3];

export const EXAMPLE_MODEL = 'fast';
/** The version every shipped model's model.json names. */
export const EXAMPLE_VERSION = '1';

export const predictBodyExamples = {
  'one-row': {
    summary: 'One row for the fast model',
    value: { model_name: 'fast', input_data: [SETOSA] },
  },
  'several-rows': {
    summary: 'Two rows and a request id of your own',
    value: { model_name: 'intermediate', input_data: [SETOSA, VIRGINICA], request_id: 'doc-1' },
  },
  'flat-row': {
    summary: 'A single row may be sent flat',
    value: { model_name: 'slow', input_data: VIRGINICA },
  },
  'original-client': {
    summary: "The original ml-models-api's request: a model alias; read `prediction`",
    value: { model_name: 'fast-iris-model', input_data: [SETOSA] },
  },
};

export const v1PredictBodyExamples = {
  instances: {
    summary: 'Two instances (KServe V1)',
    value: { instances: [SETOSA, VIRGINICA] },
  },
};

export const v2InferBodyExamples = {
  nested: {
    summary: 'Two rows as a [2, 4] FP32 tensor, nested',
    value: {
      inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [SETOSA, VIRGINICA] }],
    },
  },
  'flat-with-outputs': {
    summary: 'Flat data, only the label output, and a request id',
    value: {
      id: 'doc-2',
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: SETOSA }],
      outputs: [{ name: 'label' }],
    },
  },
};

/** An alias set at run time, as a registry's `champion` names whichever version serves. */
export const EXAMPLE_ALIAS = 'champion';

export const aliasBodyExamples = {
  'model-at-version': {
    summary: 'champion names version 1 of fast',
    value: { model: 'fast', version: '1' },
  },
  model: {
    summary: "champion names fast; fast's traffic policy picks the version",
    value: { model: 'fast' },
  },
};

export const trafficPolicyExamples = {
  'one-version': {
    summary: "All of fast's traffic to version 1",
    value: { weights: { '1': 100 } },
  },
};

export const jobBodyExamples = {
  'two-rows': {
    summary: 'A (small) job of two rows for the fast model',
    value: { model_name: 'fast', input_data: [SETOSA, VIRGINICA] },
  },
};
