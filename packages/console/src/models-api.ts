import { call, path } from './api.js';

export interface ModelInfo {
  name: string;
  versions: string[];
  /** Numbers per row (the first input's last dimension), when the model says it. */
  width: number | null;
  inputName: string | null;
}

export async function listModels(): Promise<string[]> {
  const body = await call<{ models: string[] }>('GET', '/v1/models');
  return body.models;
}

/** The Open Inference Protocol's metadata: versions and the input's shape. */
export async function modelInfo(name: string): Promise<ModelInfo> {
  const body = await call<{
    versions?: string[];
    inputs?: { name?: string; shape?: number[] }[];
  }>('GET', path`/v2/models/${name}`);
  const input = body.inputs?.[0];
  const last = input?.shape?.at(-1);
  return {
    name,
    versions: body.versions ?? [],
    width: typeof last === 'number' && last > 0 ? last : null,
    inputName: input?.name ?? null,
  };
}
