/**
 * Helpers for the daemon tests on a real embedded store in a temp SIGNALBASE_DATA_DIR. The
 * store-independent child-process helpers live in tests/helpers/daemon.ts (shared with tests/e2e)
 * and are re-exported here.
 *
 * Migrating a fresh PGlite directory takes many seconds on this machine, so each test file migrates
 * one template directory once and copies it for every daemon it starts (a closed PGlite directory
 * is plain files).
 */
import { cpSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { allPredictions, replayDir, tempDir } from '../helpers/daemon.ts';

export { allPredictions, comparable, expectSamePrediction, freePort, metricValue, removeDir, replayDir, spawnDaemon, tempDir, type DaemonChild } from '../helpers/daemon.ts';

const silent = createLogger({ level: 'silent', pretty: false });

/** A migrated, closed data directory to copy from. */
export async function migratedTemplate(): Promise<string> {
  const dir = tempDir('template');
  const store = await openStore(loadConfig({ SIGNALBASE_DATA_DIR: dir, LOG_LEVEL: 'silent' }), silent, { migrate: true });
  await store.close();
  return dir;
}

/** A data directory holding a copy of `template`. */
export function dataDirFrom(template: string): string {
  const dir = tempDir('data');
  cpSync(template, dir, { recursive: true });
  return dir;
}

export function openStoreAt(dataDir: string): Promise<Store> {
  return openStore(loadConfig({ SIGNALBASE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), silent);
}

/** Reads a data directory's stored predictions and candle count, then closes the store. */
export async function storedState(dataDir: string): Promise<{ predictions: PredictionRecord[]; candles: number; series: number }> {
  const store = await openStoreAt(dataDir);
  try {
    const series = await store.listCandleSeries();
    return { predictions: await allPredictions(store), candles: series.reduce((n, s) => n + s.count, 0), series: series.length };
  } finally {
    await store.close();
  }
}

/**
 * What a test that starts a daemon on a replay needs: a migrated data directory, a replay directory
 * of the first `n` candles of `files`, and the paths to remove afterwards.
 */
export async function replaySetup(files: readonly string[], n: number): Promise<{ data: string; feed: string; dirs: string[] }> {
  const template = await migratedTemplate();
  const feed = replayDir(files, n);
  const data = dataDirFrom(template);
  return { data, feed, dirs: [template, feed, data] };
}

/** replaySetup, with one API key created in the data directory. */
export async function keyedReplaySetup(
  files: readonly string[],
  n: number,
  key: { name: string; type: 'stream' | 'prediction' | 'admin' },
): Promise<{ data: string; feed: string; key: string; dirs: string[] }> {
  const { data, feed, dirs } = await replaySetup(files, n);
  const store = await openStoreAt(data);
  try {
    return { data, feed, key: (await store.createApiKey(key)).key, dirs };
  } finally {
    await store.close();
  }
}
