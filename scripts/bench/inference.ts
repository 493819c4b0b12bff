/**
 * Bench part "inference" (DESIGN.md "Bench"): one window per predict call versus batches of 256,
 * same model (the production architecture, untrained, seeded: T=60, F=17), same backend
 * (TFJS_BACKEND, auto by default). Both through the predictor the inference batcher uses, so each
 * call includes building the input tensor and reading the probabilities back.
 *   single_ms_p50          median wall time of a one-window call (after warm-up)
 *   batched_windows_per_s  256 / median wall time of a 256-window call
 *   speedup                single per-window time / batched per-window time
 * Standalone: `node --import tsx scripts/bench/inference.ts` prints the JSON object.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { initBackend } from '../../src/model/backend.ts';
import { layersPredictor } from '../../src/model/batcher.ts';
import { buildLstm, DEFAULT_UNITS } from '../../src/model/lstm.ts';
import { mulberry32 } from '../../src/model/seed.ts';

const T = 60;
const F = INDICATOR_COLUMNS.length;
const BATCH = 256;
// Interleaved rounds (10 single calls, then one batch), so a change in the machine's load during
// the run hits both sides alike: 100 single calls and 10 batch calls in all.
const ROUNDS = 10;
const SINGLES_PER_ROUND = 10;

export interface InferenceBench {
  backend: string;
  single_ms_p50: number;
  batch_size: number;
  batched_windows_per_s: number;
  speedup: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export async function benchInference(): Promise<InferenceBench> {
  const backend = await initBackend(loadConfig().tfjsBackend);
  const model = buildLstm({ timesteps: T, features: F, units: DEFAULT_UNITS }, 1);
  try {
    const predictor = layersPredictor(model);
    const rand = mulberry32(42);
    const windows = Float32Array.from({ length: BATCH * T * F }, () => rand() * 2 - 1);
    const one = windows.subarray(0, T * F);

    const time = async (n: number, w: Float32Array) => {
      const t0 = performance.now();
      await predictor.predict(w, n);
      return performance.now() - t0;
    };
    for (let i = 0; i < 10; i++) await time(1, one); // warm-up: kernels, allocations
    await time(BATCH, windows);

    const single: number[] = [];
    const batched: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < SINGLES_PER_ROUND; k++) {
        const i = (r * SINGLES_PER_ROUND + k) % BATCH;
        single.push(await time(1, windows.subarray(i * T * F, (i + 1) * T * F)));
      }
      batched.push(await time(BATCH, windows));
    }

    const singleMs = median(single);
    const batchMsPerWindow = median(batched) / BATCH;
    return {
      backend,
      single_ms_p50: round(singleMs, 3),
      batch_size: BATCH,
      batched_windows_per_s: round(1000 / batchMsPerWindow, 1),
      speedup: round(singleMs / batchMsPerWindow, 2),
    };
  } finally {
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchInference())}\n`);
}
