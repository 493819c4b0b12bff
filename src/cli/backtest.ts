/**
 * `signalbase backtest --feed SPEC [--json]`: the live pipeline (SignalEngine) over a replay or
 * synthetic feed with no wall-clock waits, scored against the triple-barrier labels: classification
 * and trading figures of the active model (or the rules, when none is active) beside always-HOLD and
 * the rule consensus. Reads the store (active model, weights); writes nothing.
 */
import { systemClock } from '../domain/clock.ts';
import { ConfigError } from '../errors.ts';
import { weightsFromRecords } from '../features/weights.ts';
import { readFeedSeries } from '../ingest/feed-series.ts';
import { initBackend } from '../model/backend.ts';
import { jsonSafe, metricsJson } from '../model/report.ts';
import { loadActiveModel, type LoadedModel } from '../model/registry.ts';
import { runBacktest, type BacktestResult } from '../signals/backtest.ts';
import { openStore } from '../store/index.ts';
import { parseFlags, writeJson, type Command } from './command.ts';
import { renderMetricsTable } from './metrics-table.ts';
import { runWalkForwardCommand } from './walk-forward-command.ts';
import { inSampleNote } from './in-sample.ts';
import { parseWalkForward } from '../backtest/walk-forward-plan.ts';

function report(r: BacktestResult): string {
  const e = r.evaluations;
  const lines = [
    '',
    `backtest of ${r.modelVersion === 'rules' ? 'the rule consensus (no active model)' : `model ${r.modelVersion}`}`,
    `data: ${r.series.map((s) => `${s.symbol} ${s.timeframe} (${s.candles})`).join(', ')}; ${r.period?.from ?? '?'} .. ${r.period?.to ?? '?'}`,
    `signals: ${r.signals.total} (BUY ${r.signals.byDirection.BUY}, SELL ${r.signals.byDirection.SELL}, HOLD ${r.signals.byDirection.HOLD}); scored ${r.signals.scored}`,
    `outcomes tracked live: TP ${r.outcomes.TP_HIT}, SL ${r.outcomes.SL_HIT}, expired ${r.outcomes.EXPIRED}, no trade ${r.outcomes.NO_TRADE}`,
    '',
  ];
  if (!e.model) return `${[...lines, 'nothing to score: too few candles after warm-up and the label horizon'].join('\n')}\n`;
  const columns = [[r.modelVersion === 'rules' ? 'rules' : 'model', e.model.metrics], ['always-HOLD', e.alwaysHold?.metrics ?? null]] as Array<[string, typeof e.model.metrics | null]>;
  if (r.modelVersion !== 'rules') columns.push(['rules', e.rules?.metrics ?? null]);
  lines.push(...renderMetricsTable('backtest', columns), '', `took ${(r.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

const USAGE = 'usage: signalbase backtest --feed SPEC [--json] | backtest --walk-forward train=7d,test=1d[,step=1d][,purge=auto] --feed SPEC [--seed N] [--json]';

const command: Command = {
  summary: 'run the live pipeline over a replay or synthetic feed and score it (--walk-forward: out of sample, fold by fold)',
  usage: USAGE,
  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, {
      feed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'walk-forward': { type: 'string' },
      seed: { type: 'string' },
    });
    const feed = values.feed ?? config.feed;
    if (!feed) throw new ConfigError(`--feed is required: ${USAGE}`);
    const plan = values['walk-forward'] !== undefined ? parseWalkForward(values['walk-forward']) : null;
    if (!plan && values.seed !== undefined) throw new ConfigError(`--seed only applies to --walk-forward: ${USAGE}`);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!/^\d+$/.test(values.seed ?? '1') || !Number.isSafeInteger(seed)) throw new ConfigError(`--seed must be a non-negative integer, got '${values.seed}'`);
    const series = await readFeedSeries(feed, config, log, 'backtest');
    await initBackend(config.tfjsBackend, log);
    if (plan) return runWalkForwardCommand({ config, log, out, feed, series, plan, seed, json: values.json });
    const store = await openStore(config, log, { migrate: true });
    let loaded: LoadedModel | null = null;
    try {
      loaded = await loadActiveModel(store, config);
      const weights = weightsFromRecords(await store.getWeights());
      log.info({ model: loaded?.version ?? 'rules', series: series.length }, 'backtest started');
      const result = await runBacktest({
        series,
        model: loaded ? { version: loaded.version, pipeline: loaded.pipeline, predictor: loaded.predictor, selection: loaded.selection } : null,
        barrier: config.barrier,
        weights,
        log,
        clock: systemClock,
        windowSize: loaded?.timesteps ?? 60,
      });
      const inSample = inSampleNote(loaded?.metadata.extra ?? null, result.period);
      if (inSample.message) log.warn({ trainWindow: inSample.trainWindow }, inSample.message);
      if (values.json) {
        writeJson(
          out,
          jsonSafe({
            model_version: result.modelVersion,
            series: result.series,
            period: result.period,
            signals: result.signals,
            outcomes: result.outcomes,
            evaluations: {
              model: metricsJson(result.evaluations.model?.metrics ?? null),
              always_hold: metricsJson(result.evaluations.alwaysHold?.metrics ?? null),
              rules: metricsJson(result.evaluations.rules?.metrics ?? null),
            },
            confusion: result.evaluations.model?.confusion ?? null,
            in_sample: inSample.overlapping,
            model_train_window: inSample.trainWindow,
            duration_ms: result.durationMs,
          }),
        );
      } else {
        out.write(report(result));
        if (inSample.message) out.write(`${inSample.message}\n`);
      }
      return 0;
    } finally {
      loaded?.dispose();
      await store.close().catch(() => undefined);
    }
  },
};

export default command;
