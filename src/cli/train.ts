/**
 * `signalbase train [--feed SPEC] [--seed N] [--activate] [--json] [--epochs N] [--units N] [--keep-weights]`:
 * one training run (src/model/training-job.ts) with a progress bar, then the test-window table beside
 * the baselines, the gate's verdict, the status and the weights hash.
 *
 * With --feed (or FEED) naming a replay or synthetic feed, its candles are stored in ml_candles first
 * and the run trains on the stored candles of those series; without one it trains on every stored
 * series of the configured (or most common) timeframe. Ctrl-C cancels: the model is recorded
 * `failed` (cancelled) and the command exits 130; a second Ctrl-C quits at once.
 */
import type { Config } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import { readFeedSeries } from '../ingest/feed-series.ts';
import { parseFeedSpec } from '../ingest/feed-spec.ts';
import type { Logger } from '../log.ts';
import { TrainingCancelledError } from '../model/errors.ts';
import { runTrainingJob } from '../model/training-job.ts';
import type { HyperParams } from '../model/train-loop.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { parseFlags, writeJson, type Command } from './command.ts';
import { progressReporter } from './train-progress.ts';
import { renderTrainReport, trainReportJson } from './train-report.ts';

const UPSERT_BATCH = 5_000;

function positiveInt(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new ConfigError(`--${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** Stores a replay or synthetic feed's candles; returns the series it held (after SYMBOLS / TIMEFRAME filters). */
async function storeFeed(store: Store, spec: string, config: Config, log: Logger): Promise<{ symbols: string[]; timeframe?: Timeframe }> {
  const series = await readFeedSeries(spec, config, log, 'train');
  let stored = 0;
  for (const s of series) {
    for (let i = 0; i < s.length; i += UPSERT_BATCH) stored += await store.upsertCandles(s.slice(i, i + UPSERT_BATCH));
  }
  const total = series.reduce((n, s) => n + s.length, 0);
  log.info({ series: series.length, candles: total, newOrChanged: stored }, `stored ${total} candles of ${series.length} series from the feed`);
  const timeframes = new Set(series.map((s) => s[0]!.timeframe));
  return { symbols: series.map((s) => s[0]!.symbol), timeframe: timeframes.size === 1 ? [...timeframes][0] : config.timeframe };
}

const command: Command = {
  summary: 'train a model: progress bar, test metrics beside the baselines, promotion gate',
  usage: [
    'usage: signalbase train [--feed SPEC] [--seed N] [--activate] [--json] [--epochs N] [--units N] [--keep-weights]',
    '',
    'One training run on the stored candles (a replay or synthetic --feed is stored first and trained on).',
    'Prints the test-window figures of the model beside always-HOLD and the rule consensus (and the active',
    'model), the promotion gate\'s verdict and the weights hash. The model becomes active only if it passes',
    'the gate, or with --activate. --seed N makes the run reproducible (default: derived from a random run id).',
    '--epochs / --units override the network\'s maximum epochs and LSTM width; --keep-weights leaves the',
    'indicator weights as they are instead of stepping them toward the new model\'s importance.',
    '--json prints one JSON document (version, status, gate, weights_sha256, evaluations of model, always_hold,',
    'rules and active). Ctrl-C cancels (the model is recorded failed: cancelled; exit 130).',
  ].join('\n'),

  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, {
      feed: { type: 'string' },
      seed: { type: 'string' },
      activate: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      epochs: { type: 'string' },
      units: { type: 'string' },
      'keep-weights': { type: 'boolean', default: false },
    });
    const seed = positiveInt('seed', values.seed, 0);
    const hyper: Partial<HyperParams> = {};
    const epochs = positiveInt('epochs', values.epochs);
    const units = positiveInt('units', values.units);
    if (epochs !== undefined) hyper.maxEpochs = epochs;
    if (units !== undefined) hyper.units = units;
    const feed = values.feed ?? config.feed;
    if (values.feed) parseFeedSpec(values.feed); // a bad spec is a usage error before the store opens

    const store = await openStore(config, log, { migrate: true });
    const ac = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\ncancelling the training (press Ctrl-C again to quit at once)\n');
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const progress = progressReporter(process.stderr);
    // While the bar draws, info lines would tear it; the report at the end says what they would.
    const jobLog = process.stderr.isTTY && config.logLevel === 'info' ? log.child({}, { level: 'warn' }) : log;
    try {
      let selection: { symbols?: string[]; timeframe?: Timeframe } = {};
      if (feed && (values.feed || /^(replay|synthetic)\b/i.test(feed.trim()))) selection = await storeFeed(store, feed, config, log);
      const result = await runTrainingJob(
        { store, config, log: jobLog },
        { seed, activate: values.activate, signal: ac.signal, onProgress: (p) => progress.update(p), hyper, ...selection, updateWeights: !values['keep-weights'] },
      );
      progress.stop();
      if (values.json) writeJson(out, trainReportJson(result));
      else out.write(renderTrainReport(result));
      return 0;
    } catch (err) {
      progress.stop();
      if (err instanceof TrainingCancelledError) {
        process.stderr.write(`signalbase train: cancelled; model ${String(err.context.version ?? '?')} recorded as failed (cancelled)\n`);
        return 130;
      }
      if (err instanceof SignalbaseError && typeof err.context.version === 'string') {
        process.stderr.write(`signalbase train: model ${err.context.version} recorded as failed; the active model (if any) is unchanged\n`);
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await store.close();
    }
  },
};

export default command;
