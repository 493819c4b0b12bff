/**
 * `signalbase backtest` as a user runs it: before any model it scores the rules; after `train
 * --activate` it scores that model, beside always-HOLD and the rules, on the same candles.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../../bin/signalbase.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'sb-backtest-'));
const FEED = 'synthetic:seed=5,symbols=2,timeframe=5m,candles=900';

async function signalbase(args: string[]) {
  const { stdout } = await run(process.execPath, [BIN, ...args], {
    env: { ...process.env, SIGNALBASE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', TFJS_BACKEND: 'wasm' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document read field by field
  return JSON.parse(stdout) as Record<string, any>;
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('signalbase backtest', () => {
  it('scores the rules before a model and the active model after train --activate', async () => {
    const before = await signalbase(['backtest', '--feed', FEED, '--json']);
    expect(before.model_version).toBe('rules');
    expect(before.signals.scored).toBe(2 * (900 - 49 - 24));
    expect(before.evaluations.model.trades).toBe(before.evaluations.rules.trades);
    expect(before.evaluations.always_hold.trades).toBe(0);
    expect(before.in_sample).toBe(false); // the rules were trained on nothing

    const trained = await signalbase(['train', '--feed', FEED, '--seed', '1', '--epochs', '1', '--units', '4', '--activate', '--json']);
    expect(trained.status).toBe('active');

    const after = await signalbase(['backtest', '--feed', FEED, '--json']);
    expect(after.model_version).toBe(trained.version);
    expect(after.signals.scored).toBe(2 * (900 - 49 - 59 - 24));
    for (const k of ['model', 'always_hold', 'rules']) expect(typeof after.evaluations[k].accuracy).toBe('number');
    expect(after.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(after.signals.scored);
    // The model was trained on this very feed: the backtest says it is in-sample, and where.
    expect(after.in_sample).toBe(true);
    expect(after.model_train_window).toEqual({ from: trained.training_set.window.trainStart, to: trained.training_set.window.valEnd });
  }, 240_000);
});
