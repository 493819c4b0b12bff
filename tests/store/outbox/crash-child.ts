/**
 * Child process for the kill -9 test (outbox.test.ts): journals predictions through an outbox whose
 * store is unreachable, printing each index once enqueue has returned, until the parent kills it.
 * Usage: node --import tsx crash-child.ts DATA_DIR SYMBOL
 */
import { writeSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger } from '../../../src/log.ts';
import { Outbox } from '../../../src/store/outbox/index.ts';
import { crashPrediction } from './records.ts';
import { unreachable } from './helpers.ts';

const [dataDir, symbol] = process.argv.slice(2) as [string, string];
const fail = async (): Promise<never> => {
  throw unreachable();
};
const outbox = new Outbox({
  dataDir,
  store: { upsertCandles: fail, insertPredictions: fail, resolvePredictions: fail, insertTrainingSamples: fail, insertGenerationLog: fail },
  log: createLogger({ level: 'silent', pretty: false }),
  backoff: { baseMs: 1, capMs: 2 },
});
outbox.start();
for (let i = 0; i < 1_000_000; i++) {
  outbox.insertPredictions([crashPrediction(symbol, i)]);
  writeSync(1, `${i}\n`);
  if (i % 5 === 0) await tick();
}
