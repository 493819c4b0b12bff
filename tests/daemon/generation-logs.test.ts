/**
 * ml_generation_logs count what really happened: an engine call that fails with a retryable error
 * writes a FAILED row counting its ticks as errors (success_rate 0, the error's code), and a call
 * that succeeds writes a COMPLETED row with no error. Before, every row said success_rate 1,
 * error_count 0, and a failed call wrote nothing.
 */
import { describe, expect, it } from 'vitest';
import { SignalbaseError } from '../../src/domain/errors.ts';
import { TickLoop, type TickEngine } from '../../src/daemon/tick-loop.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { SyntheticSource, SYNTHETIC_DEFAULTS } from '../../src/ingest/synthetic.ts';
import { createLogger } from '../../src/log.ts';
import type { GenerationLogRecord } from '../../src/store/types.ts';
import type { OutboxWriter } from '../../src/store/outbox/index.ts';
import { prediction } from '../store/fixtures.ts';

const log = createLogger({ level: 'silent', pretty: false });

describe('generation logs', () => {
  it('count failed ticks as errors and successful ones as successes', async () => {
    let call = 0;
    const engine: TickEngine = {
      async process(batches: readonly CandleBatch[]) {
        call++;
        if (call === 2) throw new SignalbaseError('INFERENCE_FAILED', 'the backend lost its context', { retryable: true });
        return batches.map((b) => ({
          closeTime: b.closeTime,
          candles: b.candles,
          signals: b.candles.map((c) => prediction({ symbol: c.symbol, candleTime: c.openTime, predictedDirection: 'BUY', confidenceScore: 0.8, modelVersion: 'rules' })),
          resolved: [],
        }));
      },
    };
    const logs: GenerationLogRecord[] = [];
    const writer: OutboxWriter = {
      insertPredictions: () => undefined,
      resolvePredictions: () => undefined,
      insertTrainingSamples: () => undefined,
      upsertCandles: () => undefined,
      insertGenerationLog: (row) => void logs.push(row),
      writeGroup: () => undefined,
    };
    let fatal: unknown;
    const loop = new TickLoop({ engine, sinks: { publish: () => undefined }, writer, log, maxTicksPerBatch: 1, onFatal: (e) => (fatal = e) });
    const source = new SyntheticSource({ ...SYNTHETIC_DEFAULTS, symbols: 3, candles: 3 }, { speed: 0, log });
    loop.start();
    await source.start(loop.sink);
    await source.finished;
    await loop.idle();
    await loop.stop();
    expect(fatal).toBeUndefined();
    expect(logs.map((l) => [l.status, l.errorCount, l.successRate, l.totalSignalsGenerated, l.symbolsCount])).toEqual([
      ['COMPLETED', 0, 1, 3, 3],
      ['FAILED', 1, 0, 0, 3],
      ['COMPLETED', 0, 1, 3, 3],
    ]);
    expect(logs[1]!.errorDetails).toMatchObject({ code: 'INFERENCE_FAILED', ticks: 1 });
  });
});
