/**
 * ONNX Runtime (onnxruntime-node, CPU execution provider; its binaries ship in the package) as a
 * WindowPredictor, the interface the inference batcher, replay and backtest already use.
 * The package is imported on first use, so a process that serves with tfjs never loads it, and a
 * platform without its binaries gets an OnnxRuntimeUnavailable answer instead of a crash.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { WindowPredictor } from '../batcher.ts';
import { InferenceError } from '../errors.ts';
import { OnnxError } from './errors.ts';
import { ONNX_INPUT, ONNX_OUTPUT } from './export.ts';

type Ort = typeof import('onnxruntime-node');

let ort: Promise<Ort> | null = null;

/** The onnxruntime-node module, or the reason it cannot load (cached either way). */
export function loadOrt(): Promise<Ort> {
  ort ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ort;
}

/** onnxruntime-node's version, or null when it cannot load. */
export async function ortVersion(): Promise<string | null> {
  try {
    return (await loadOrt()).env.versions.node ?? null;
  } catch {
    return null;
  }
}

export interface OnnxPredictor extends WindowPredictor {
  readonly runtime: 'onnx';
  /** Frees the session. Idempotent. */
  release(): Promise<void>;
}

export interface OnnxSessionOptions {
  /** Threads one predict may use (ORT's intra-op pool). Default 1: the event loop and a training share the cores. */
  threads?: number;
}

/** A predictor over an exported model (export.ts): [n, T, F] windows → [n, 3] probabilities. */
export async function onnxPredictor(onnx: Uint8Array, shape: { timesteps: number; features: number }, opts: OnnxSessionOptions = {}): Promise<OnnxPredictor> {
  let lib: Ort;
  try {
    lib = await loadOrt();
  } catch (err) {
    throw new OnnxError('ONNX_RUNTIME_UNAVAILABLE', `onnxruntime-node cannot load: ${(err as Error).message}`, {}, err);
  }
  let session: InferenceSession | null;
  try {
    session = await lib.InferenceSession.create(onnx, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
    });
  } catch (err) {
    throw new OnnxError('ONNX_RUNTIME_UNAVAILABLE', `ONNX Runtime refused the exported model: ${(err as Error).message}`, {}, err);
  }
  const { timesteps, features } = shape;
  const size = timesteps * features;
  return {
    runtime: 'onnx',
    timesteps,
    features,
    async predict(windows, n) {
      if (!session) throw new InferenceError('INFERENCE_STOPPED', 'the ONNX session was released');
      const input: Tensor = new lib.Tensor('float32', windows.subarray(0, n * size), [n, timesteps, features]);
      const out = await session.run({ [ONNX_INPUT]: input });
      return out[ONNX_OUTPUT]!.data as Float32Array;
    },
    async release() {
      const s = session;
      session = null;
      await s?.release();
    },
  };
}
