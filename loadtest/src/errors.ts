export type BenchErrorCode =
  | 'BENCH_STACK_START' // a gateway or worker exited or never became ready
  | 'BENCH_NOT_READY' // the stack at --url does not serve every model
  | 'BENCH_RUNNER' // the load-generator process failed or exited early
  | 'BENCH_PROFILE' // a .cpuprofile could not be read
  | 'BENCH_JOB'; // a job of the jobs cells was refused, stalled or answered wrongly

/** The harness's one error class; callers branch on `code`. */
export class BenchError extends Error {
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
    this.code = code;
  }
}
