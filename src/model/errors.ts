/**
 * Typed errors of the model lifecycle. Callers branch on the class or on `code`:
 *   DATASET_TOO_SMALL, DATASET_SINGLE_CLASS, DATASET_NAN, DATASET_SHAPE   (DatasetError)
 *   ARTIFACT_MISSING, ARTIFACT_CORRUPT, ARTIFACT_HASH_MISMATCH, ARTIFACT_FEATURES_MISMATCH (ArtifactError)
 *   BACKEND_UNAVAILABLE                                                    (BackendError)
 *   TRAINING_CANCELLED (TrainingCancelledError), TRAINING_FAILED (TrainingError)
 *   INFERENCE_QUEUE_FULL, INFERENCE_BAD_INPUT, INFERENCE_NO_MODEL, INFERENCE_STOPPED (InferenceError)
 */
import { SignalbaseError } from '../domain/errors.ts';

export type DatasetErrorCode = 'DATASET_TOO_SMALL' | 'DATASET_SINGLE_CLASS' | 'DATASET_NAN' | 'DATASET_SHAPE';

/** The data cannot train a model; the message says which numbers are wrong. */
export class DatasetError extends SignalbaseError {
  declare readonly code: DatasetErrorCode;
  constructor(code: DatasetErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }
}

export type ArtifactErrorCode = 'ARTIFACT_MISSING' | 'ARTIFACT_CORRUPT' | 'ARTIFACT_HASH_MISMATCH' | 'ARTIFACT_FEATURES_MISMATCH';

/** A stored model cannot be used as it is. */
export class ArtifactError extends SignalbaseError {
  declare readonly code: ArtifactErrorCode;
  constructor(code: ArtifactErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { context, cause });
  }
}

/** An explicitly requested tfjs backend could not be loaded. */
export class BackendError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('BACKEND_UNAVAILABLE', message, { context, cause });
  }
}

/** A training stopped because its caller asked it to. Not a failure of the data or the code. */
export class TrainingCancelledError extends SignalbaseError {
  constructor(message = 'training cancelled', context: Record<string, unknown> = {}) {
    super('TRAINING_CANCELLED', message, { context });
  }
}

/** A training failed for another reason (worker crashed, tfjs threw). */
export class TrainingError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('TRAINING_FAILED', message, { context, cause });
  }
}

export type InferenceErrorCode = 'INFERENCE_QUEUE_FULL' | 'INFERENCE_BAD_INPUT' | 'INFERENCE_NO_MODEL' | 'INFERENCE_STOPPED';

/** A window was not predicted. INFERENCE_QUEUE_FULL is retryable: the queue drains every batch. */
export class InferenceError extends SignalbaseError {
  declare readonly code: InferenceErrorCode;
  constructor(code: InferenceErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context, retryable: code === 'INFERENCE_QUEUE_FULL' });
  }
}
