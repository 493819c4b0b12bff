/**
 * Bench part "inference" (DESIGN.md "Bench"): one window per predict call versus batches of 256,
 * same model (the production architecture, untrained, seeded: T=60, F=17), through the predictor
 * the inference batcher uses, so each call includes building the input and reading the
 * probabilities back. The serving runtime is ONNX Runtime (src/model/onnx/, INFERENCE_RUNTIME=auto,
 * one intra-op thread as served); tfjs (TFJS_BACKEND, wasm here) runs the same weights in the same
 * run, interleaved, for the comparison.
 *   runtime                         the runtime the figures below are for ("onnx"; "tfjs" if ORT cannot load)
 *   single_ms_p50                   median wall time of a one-window call (after warm-up)
 *   batched_windows_per_s           256 / median wall time of a 256-window call
 *   speedup                         single per-window time / batched per-window time
 *   gflops                          batched_windows_per_s × the network's FLOPs per window (matmuls 2·m·n·k, gates)
 *   tfjs_wasm_batched_windows_per_s, tfjs_single_ms_p50   the same on tfjs (backend: `backend`)
 *   onnx_max_abs_diff               largest |ORT − tfjs| over the 256 windows' probabilities
 * Standalone: `node --import tsx scripts/bench/inference.ts` prints the JSON object.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { modelToBytes } from '../../src/model/artifact.ts';
import { initBackend } from '../../src/model/backend.ts';
import { layersPredictor, type WindowPredictor } from '../../src/model/batcher.ts';
import { buildLstm, DEFAULT_UNITS } from '../../src/model/lstm.ts';
import { exportOnnx } from '../../src/model/onnx/export.ts';
import { onnxPredictor } from '../../src/model/onnx/runtime.ts';
import { mulberry32 } from '../../src/model/seed.ts';

const T = 60;
const F = INDICATOR_COLUMNS.length;
const U = DEFAULT_UNITS;
const BATCH = 256;
// Interleaved rounds (singles, then one batch, per runtime), so a change in the machine's load
// during the run hits every side alike.
const ROUNDS = 10;
const SINGLES_PER_ROUND = 10;
const ORT_SINGLES_PER_ROUND = 100;

/** FLOPs of one window: per step the 4 gates' [F+U → 4U] matmul (2 per multiply-add) plus ~10 per unit of gate arithmetic; then the dense layer and softmax. */
export const FLOPS_PER_WINDOW = T * (2 * 4 * U * (F + U) + 10 * U) + 2 * U * 3 + 3 * 4;

export interface InferenceBench {
  backend: string;
  runtime: 'onnx' | 'tfjs';
  single_ms_p50: number;
  batch_size: number;
  batched_windows_per_s: number;
  speedup: number;
  gflops: number;
  tfjs_single_ms_p50: number;
  tfjs_wasm_batched_windows_per_s: number;
  onnx_max_abs_diff: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export async function benchInference(): Promise<InferenceBench> {
  const backend = await initBackend(loadConfig().tfjsBackend);
  const model = buildLstm({ timesteps: T, features: F, units: U }, 1);
  let ort: Awaited<ReturnType<typeof onnxPredictor>> | null = null;
  try {
    const tfjs = layersPredictor(model);
    try {
      const { onnx, shape } = exportOnnx(await modelToBytes(model));
      ort = await onnxPredictor(onnx, shape);
    } catch (err) {
      process.stderr.write(`bench: inference: ONNX Runtime unavailable (${(err as Error).message}); reporting tfjs\n`);
    }
    const rand = mulberry32(42);
    const windows = Float32Array.from({ length: BATCH * T * F }, () => rand() * 2 - 1);
    const one = windows.subarray(0, T * F);

    const time = async (p: WindowPredictor, n: number, w: Float32Array) => {
      const t0 = performance.now();
      await p.predict(w, n);
      return performance.now() - t0;
    };
    const sides = [{ p: tfjs as WindowPredictor, singles: SINGLES_PER_ROUND }, ...(ort ? [{ p: ort as WindowPredictor, singles: ORT_SINGLES_PER_ROUND }] : [])];
    for (const s of sides) {
      for (let i = 0; i < 10; i++) await time(s.p, 1, one); // warm-up: kernels, allocations
      await time(s.p, BATCH, windows);
    }
    const single = sides.map(() => [] as number[]);
    const batched = sides.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [j, s] of sides.entries()) {
        for (let k = 0; k < s.singles; k++) {
          const i = (r * s.singles + k) % BATCH;
          single[j]!.push(await time(s.p, 1, windows.subarray(i * T * F, (i + 1) * T * F)));
        }
        batched[j]!.push(await time(s.p, BATCH, windows));
      }
    }
    let maxDiff: number | null = null;
    if (ort) {
      const a = await tfjs.predict(windows, BATCH);
      const b = await ort.predict(windows, BATCH);
      maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    }

    const figures = sides.map((_, j) => {
      const singleMs = median(single[j]!);
      const batchMsPerWindow = median(batched[j]!) / BATCH;
      return { singleMs, batchMsPerWindow, perS: 1000 / batchMsPerWindow };
    });
    const serving = figures[figures.length - 1]!;
    const tf = figures[0]!;
    return {
      backend,
      runtime: ort ? 'onnx' : 'tfjs',
      single_ms_p50: round(serving.singleMs, 3),
      batch_size: BATCH,
      batched_windows_per_s: round(serving.perS, 1),
      speedup: round(serving.singleMs / serving.batchMsPerWindow, 2),
      gflops: round((serving.perS * FLOPS_PER_WINDOW) / 1e9, 2),
      tfjs_single_ms_p50: round(tf.singleMs, 3),
      tfjs_wasm_batched_windows_per_s: round(tf.perS, 1),
      onnx_max_abs_diff: maxDiff,
    };
  } finally {
    await ort?.release();
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchInference())}\n`);
}
