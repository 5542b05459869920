/**
 * Why a worker could not be configured or could not load its model.
 *
 * - `WORKER_CONFIG`: an environment variable is missing or out of range (`subject` names it).
 * - `WORKER_MANIFEST`: `model.json` is missing, not JSON, or does not describe a usable model
 *   (`subject` names the offending field).
 * - `WORKER_MODEL_LOAD`: onnxruntime could not load `model.onnx`, or the graph does not have the
 *   input and output the manifest promises.
 *
 * These are start-up errors: the process reports them and exits non-zero. Bad requests are not
 * `WorkerError`s; they are answered on the wire with `BAD_INPUT` (a RemoteError).
 */
export type WorkerErrorCode = 'WORKER_CONFIG' | 'WORKER_MANIFEST' | 'WORKER_MODEL_LOAD';

export class WorkerError extends Error {
  readonly code: WorkerErrorCode;
  /** The environment variable or manifest field at fault, when there is one. */
  readonly subject: string | undefined;

  constructor(
    code: WorkerErrorCode,
    message: string,
    options: { subject?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkerError';
    this.code = code;
    this.subject = options.subject;
  }
}
