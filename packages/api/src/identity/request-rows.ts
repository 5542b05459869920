/**
 * How many rows a request asks for, whichever route family it speaks: `/predict`'s
 * `input_data`, KServe V1's `instances`, OIP V2's first input's leading dimension. Rows are the
 * unit of quota. Called after schema validation, so shapes are already checked.
 */
export function requestRows(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const b = body as { input_data?: unknown; instances?: unknown; inputs?: unknown };
  if (Array.isArray(b.input_data)) {
    return typeof b.input_data[0] === 'number' ? 1 : b.input_data.length;
  }
  if (Array.isArray(b.instances)) return b.instances.length;
  if (Array.isArray(b.inputs)) {
    const shape = (b.inputs[0] as { shape?: unknown } | undefined)?.shape;
    if (Array.isArray(shape)) {
      if (shape.length <= 1) return 1;
      const rows = shape[0];
      return typeof rows === 'number' && rows > 0 ? rows : 0;
    }
  }
  return 0;
}
