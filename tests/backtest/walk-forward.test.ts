/**
 * The walk-forward backtest on synthetic candles with a tiny network: fold windows, every scored
 * signal inside its fold's test window and outside the training window of the model that produced
 * it, the model a fold promotes serving the next fold, and the same JSON twice for the same seed
 * (durations aside). `activate` stands in for a gate pass so that models serve (the gate itself is
 * tested in gate.test.ts; the CLI never sets it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkForwardJson } from '../../src/cli/walk-forward.ts';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { initBackend } from '../../src/model/backend.ts';
import { runWalkForward, type WalkForwardResult } from '../../src/backtest/walk-forward.ts';
import { parseWalkForward, planFolds } from '../../src/backtest/walk-forward-plan.ts';
import { openScratchStore } from '../../src/store/scratch.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';
import { SMALL_TRAINING } from '../model/synthetic.ts';

const config = testConfig({ TFJS_BACKEND: 'wasm' });
const log = silentLogger();
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
// 2 symbols × 640 5m candles ≈ 53 h: train 36 h, purge 2 h, test 6 h → 2 folds.
const series = syntheticSeries({ seed: 5, symbols: 2, timeframe: '5m', vol: 0.003, candles: 640, start: START });
const plan = parseWalkForward('train=36h,test=6h');
const training = { ...SMALL_TRAINING, activate: true } as const;

async function run(): Promise<WalkForwardResult> {
  const store = await openScratchStore();
  try {
    return await runWalkForward({ store, config, log }, { series, plan, seed: 7, training });
  } finally {
    await store.close();
  }
}

let a: WalkForwardResult;
beforeAll(async () => {
  await initBackend('wasm');
  a = await run();
}, 300_000);
afterAll(() => undefined);

describe('walk-forward plan', () => {
  it('parses the spec and tiles test windows after a purge gap', () => {
    expect(parseWalkForward('train=7d,test=1d')).toEqual({ trainMs: 7 * 24 * HOUR, testMs: 24 * HOUR, stepMs: 24 * HOUR, purgeMs: null });
    expect(parseWalkForward('train=7d,test=1d,step=12h,purge=30m')).toMatchObject({ stepMs: 12 * HOUR, purgeMs: 0.5 * HOUR });
    expect(() => parseWalkForward('train=7d')).toThrow(/needs train= and test=/);
    expect(() => parseWalkForward('train=7d,test=1x')).toThrow(/duration/);
    const folds = planFolds(parseWalkForward('train=2d,test=1d'), 0, 5 * 24 * HOUR - 300_000, 2 * HOUR, 300_000);
    expect(folds.map((f) => [f.train.from, f.train.to, f.test.from, f.test.to].map((t) => t / HOUR))).toEqual([
      [0, 48, 50, 74],
      [24, 72, 74, 98],
    ]);
  });
});

describe('runWalkForward', () => {
  it('scores only signals in each test window, never inside the training window of the model that produced them', () => {
    expect(a.folds).toHaveLength(2);
    expect(a.plan.purgeMs).toBe(config.barrier.horizon * 300_000);
    const trainedIn = new Map(a.folds.filter((f) => f.trained).map((f) => [f.trained!, f.train]));
    let scored = 0;
    for (const f of a.folds) {
      expect(f.test.from).toBe(f.train.to + a.plan.purgeMs);
      const times = f.backtest.samples.times;
      expect(times.length).toBeGreaterThan(0);
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(f.test.from);
        expect(t).toBeLessThan(f.test.to);
        if (f.serving !== 'rules') {
          const w = trainedIn.get(f.serving)!;
          expect(w).toEqual(f.servingTrainWindow);
          // Outside the window, and past its end by at least the purge (no label reached the test).
          expect(t >= w.from && t < w.to).toBe(false);
          expect(t).toBeGreaterThanOrEqual(w.to + a.plan.purgeMs);
        }
      }
      scored += times.length;
    }
    expect(a.samples.actual).toHaveLength(scored);
    expect(a.overall.model!.samples).toBe(scored);
  });

  it('promotes through the training job and serves the promoted model from the next candle on', () => {
    for (const f of a.folds) expect([f.status, f.gate.reason]).toEqual(['promoted', f.gate.reason]);
    // Fold 0's model was trained before fold 0's test window and serves it; fold 1 serves fold 1's.
    expect(a.folds.map((f) => f.serving)).toEqual(a.folds.map((f) => f.trained));
    expect(new Set(a.folds.map((f) => f.trained)).size).toBe(2);
    for (const f of a.folds) {
      expect(f.gate.reason).toContain('macro F1');
      expect(f.backtest.modelVersion).toBe(f.serving);
      expect(f.drift).not.toBeNull();
    }
    // Versions carry the simulated training time, not the wall clock.
    expect(a.folds[0]!.trained).toMatch(/^v20240102120000-/);
  });

  it('gives the same JSON twice for the same seed, durations aside', async () => {
    const b = await run();
    const strip = (r: WalkForwardResult) => JSON.parse(JSON.stringify(walkForwardJson(r, 'synthetic'), (k, v: unknown) => (k === 'duration_ms' ? 0 : v)));
    expect(strip(b)).toEqual(strip(a));
  }, 300_000);
});
