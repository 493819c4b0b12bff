/**
 * The `backtest --walk-forward` run: a scratch store for the simulation's registry, the folds, the
 * report (walk-forward.ts), and the result recorded in the configured store's ml_backtests.
 */
import type { Config } from '../config.ts';
import type { Candle } from '../domain/candle.ts';
import type { Logger } from '../log.ts';
import { runWalkForward } from '../backtest/walk-forward.ts';
import type { WalkForwardPlan } from '../backtest/walk-forward-plan.ts';
import { openStore } from '../store/index.ts';
import { openScratchStore } from '../store/scratch.ts';
import type { Store } from '../store/store.ts';
import { writeJson } from './command.ts';
import { renderWalkForward, walkForwardJson, walkForwardProgress } from './walk-forward.ts';

export interface WalkForwardCommand {
  config: Config;
  log: Logger;
  out: NodeJS.WritableStream;
  feed: string;
  series: Candle[][];
  plan: WalkForwardPlan;
  seed: number;
  json: boolean;
}

export async function runWalkForwardCommand(c: WalkForwardCommand): Promise<number> {
  // The configured store first: a store another process holds fails now, not after the run.
  const store = await openStore(c.config, c.log, { migrate: true });
  try {
    return await walkForwardInto(store, c);
  } finally {
    await store.close().catch(() => undefined);
  }
}

async function walkForwardInto(store: Store, c: WalkForwardCommand): Promise<number> {
  const scratch = await openScratchStore();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let doc: ReturnType<typeof walkForwardJson>;
  let text: string;
  try {
    const result = await runWalkForward(
      { store: scratch, config: c.config, log: c.log },
      { series: c.series, plan: c.plan, seed: c.seed, onProgress: walkForwardProgress(process.stderr), signal: controller.signal },
    );
    doc = walkForwardJson(result, c.feed);
    text = renderWalkForward(result);
  } finally {
    process.off('SIGINT', onSigint);
    await scratch.close().catch(() => undefined);
  }
  const id = await store.insertBacktest({ kind: 'walk_forward', feed: c.feed, seed: c.seed, result: doc });
  c.log.info({ id }, `walk-forward result recorded in ml_backtests (${id})`);
  if (c.json) writeJson(c.out, doc);
  else c.out.write(text);
  return 0;
}
