/**
 * Disk full with the EMBEDDED store (issue 20, fault 4): SIGNALBASE_DATA_DIR on a small tmpfs holds
 * both the embedded Postgres and the outbox journal. The tmpfs is the size of a migrated data
 * directory plus 2 MB; a replay of 2 × 400 candles needs ~5 MB more. The daemon must stop with exit
 * 1 and a fatal message naming ENOSPC and the path (the journal's append fails, or the embedded
 * store's writes fail first and --once names the full disk with what stayed journaled); after the tmpfs is grown (remount, the files
 * untouched) the same command completes, and the store then equals an uninterrupted run's, read
 * with plain SQL (ledger.ts).
 *
 * Skipped, with the reason logged, where this process may not mount a tmpfs (needs root with
 * CAP_SYS_ADMIN; CI here runs as root).
 */
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { dataDirFrom, migratedTemplate, openStoreAt } from '../daemon/helpers.ts';
import { removeDir, replayDir, spawnDaemon } from '../helpers/daemon.ts';
import { mountTmpfs, tmpfsAvailable } from '../helpers/tmpfs.ts';
import { expectSameLedger, ledgerOf, type Ledger } from './ledger.ts';

const fs = tmpfsAvailable();
if (!fs.available) console.warn(`disk-full-embedded.test.ts skipped: ${fs.reason}`);

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 400;

/** Bytes of every file under `dir`. */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

async function embeddedLedger(dataDir: string): Promise<Ledger> {
  const store = (await openStoreAt(dataDir)) as SqlStore;
  try {
    return await ledgerOf((sql) => store.client.query(sql), 'public');
  } finally {
    await store.close();
  }
}

async function runOnce(feed: string, dataDir: string): Promise<{ code: number | string; stderr: string }> {
  const run = spawnDaemon(['--once', '--feed', `replay:${feed}`], { SIGNALBASE_DATA_DIR: dataDir, PORT: '0' });
  const code = await run.exited;
  return { code, stderr: run.stderr() };
}

describe.runIf(fs.available)('disk full under the embedded store and its journal', () => {
  const dirs: string[] = [];
  /** A migrated data directory to copy, and the replay. */
  const given = { template: '', feed: '' };
  beforeAll(async () => {
    Object.assign(given, { template: await migratedTemplate(), feed: replayDir(FILES, N) });
    dirs.push(given.template, given.feed);
  }, 240_000);

  /** The uninterrupted run, on a data directory of its own. */
  async function referenceRun(): Promise<Ledger> {
    const ref = dataDirFrom(given.template);
    dirs.push(ref);
    const r = await runOnce(given.feed, ref);
    if (r.code !== 0) throw new Error(`reference run exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    const ledger = await embeddedLedger(ref);
    expect(ledger.candles).toHaveLength(FILES.length * N);
    return ledger;
  }

  afterAll(() => {
    for (const d of dirs) removeDir(d);
  });

  it('exit 1 naming ENOSPC and the path; with space freed the same command completes and the store equals an uninterrupted run', async () => {
    const mb = Math.ceil(bytesUnder(given.template) / 2 ** 20) + 2;
    const tmpfs = mountTmpfs(`${mb}m`);
    try {
      cpSync(given.template, tmpfs.dir, { recursive: true });
      // The uninterrupted run goes on beside the one that fills the disk (two processes, less wall time).
      const [reference, full] = await Promise.all([referenceRun(), runOnce(given.feed, tmpfs.dir)]);
      expect(full.code, full.stderr.slice(-3000)).toBe(1);
      // The fatal line names ENOSPC and the path, whichever filled the disk first: the journal (its
      // append fails) or the embedded store (its writes fail, the replay ends, --once cannot flush).
      const fatal = full.stderr.split('\n').filter((l) => l.includes('"level":60'));
      expect(fatal.join('\n')).toContain('ENOSPC');
      expect(fatal.join('\n')).toContain(join(tmpfs.dir, 'outbox'));
      // It stopped part-way: the store holds less than the uninterrupted run.
      expect((await embeddedLedger(tmpfs.dir)).predictions.length).toBeLessThan(reference.predictions.length);

      tmpfs.resize('256m');
      const again = await runOnce(given.feed, tmpfs.dir);
      if (again.code !== 0) throw new Error(`rerun exited ${again.code}:\n${again.stderr.slice(-3000)}`);
      expectSameLedger(await embeddedLedger(tmpfs.dir), reference);
    } finally {
      tmpfs.destroy();
    }
  }, 300_000);
});
