/**
 * The messages between trainer.ts (parent) and train-worker.ts (the training / model worker); see
 * train-worker.ts for the protocol. Apart so the parent can import them without running the worker.
 */
import { SignalbaseError } from '../domain/errors.ts';
import type { ArtifactBlob, ArtifactMetadata } from './artifact.ts';
import type { TrainInput, TrainProgress, TrainResult } from './train-loop.ts';

export interface SerializedError {
  name: string;
  code: string | undefined;
  message: string;
  context: Record<string, unknown>;
  stack: string | undefined;
}

export interface TrainWorkerData {
  input: TrainInput;
  /** Stay alive after the fit as the model worker (train-worker.ts). */
  serve: boolean;
  /** The worker thread's nice value (train-worker-entry.mjs); 0 keeps the process's. */
  niceness: number;
}

/** The key of the model the worker just fitted. */
export const TRAINED_MODEL = 'trained';

export type WorkerToParent =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'result'; result: TrainResult }
  | { type: 'error'; error: SerializedError }
  | { type: 'predicted'; id: number; probabilities: Float32Array }
  | { type: 'loaded'; id: number; metadata: ArtifactMetadata; timesteps: number; features: number }
  | { type: 'failed'; id: number; error: SerializedError };

export type ParentToWorker =
  | { type: 'cancel' }
  | { type: 'predict'; id: number; model: string; windows: Float32Array; n: number }
  | { type: 'load'; id: number; model: string; blobs: ArtifactBlob[]; expectedFeatures: string[] }
  | { type: 'unload'; model: string }
  | { type: 'release' };

export function serialize(err: unknown): SerializedError {
  if (err instanceof SignalbaseError) return { name: err.name, code: err.code, message: err.message, context: err.context, stack: err.stack };
  if (err instanceof Error) return { name: err.name, code: undefined, message: err.message, context: {}, stack: err.stack };
  return { name: 'Error', code: undefined, message: String(err), context: {}, stack: undefined };
}

