export type TrainingErrorCode =
  | 'BAD_DATA' // the data file is missing, malformed or not the iris set we expect
  | 'LOW_ACCURACY' // a trained model fell below the accuracy floor on the held-out rows
  | 'BAD_GRAPH' // the exported graph did not load or produced outputs of the wrong shape
  | 'BAD_REFERENCE'; // the reference.json already in the output folder cannot be read

/** The one error class of this package; callers branch on `code`. */
export class TrainingError extends Error {
  readonly code: TrainingErrorCode;

  constructor(code: TrainingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingError';
    this.code = code;
  }
}
