/**
 * Replay: JSON and CSV files, the k-way merge of the four bundled 5m files into ticks, and gaps
 * kept as gaps. Expected counts come from data/sample/README.md and the shared candles README
 * (LTC 5760, XLM 5760, DASH 5758, ZEC 5757 candles; DASH and ZEC two missing steps each).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { candleGaps } from '../../src/ingest/metrics.ts';
import { ReplaySource } from '../../src/ingest/replay.ts';
import { readReplayFile, replayFileInfo } from '../../src/ingest/replay-file.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { ConfigError } from '../../src/errors.ts';
import { rejectedCounts, rejectedSince } from './metrics-helpers.ts';
import { SAMPLE_FILES, sampleRows, samplePath, type Row } from './sample.ts';

const log = pino({ level: 'silent' });
/** Generous: the machine is shared, and a wait only costs time when something is wrong. */
const WAIT = { timeout: 20_000, interval: 5 };
const dir = mkdtempSync(join(tmpdir(), 'signalbase-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const toCandle = (symbol: string, r: Row): Candle => ({ symbol, timeframe: '5m', openTime: r[0], open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5] });

async function collect(src: ReplaySource): Promise<CandleBatch[]> {
  const batches: CandleBatch[] = [];
  await src.start((b) => {
    batches.push(b);
  });
  await src.finished;
  return batches;
}

describe('replay files', () => {
  it('derives symbol and timeframe from the file name', () => {
    expect(replayFileInfo('/x/LTC_BTC-5m.json')).toMatchObject({ symbol: 'LTC/BTC', timeframe: '5m', format: 'json' });
    expect(replayFileInfo('eth_usdt-1h.csv')).toMatchObject({ symbol: 'ETH/USDT', timeframe: '1h', format: 'csv' });
    expect(() => replayFileInfo('/x/LTCBTC.json')).toThrow(ConfigError);
    expect(() => replayFileInfo('/x/LTC_BTC-7m.json')).toThrow(/unknown timeframe/);
  });

  it('reads a freqtrade JSON file into validated candles, in order', async () => {
    const candles = await readReplayFile(samplePath('LTC_BTC-5m.json'), { log });
    const rows = sampleRows('LTC_BTC-5m.json');
    expect(candles).toHaveLength(5760);
    expect(candles).toEqual(rows.map((r) => toCandle('LTC/BTC', r)));
  });

  it('reads CSV with epoch-ms or ISO times to the same candles as the JSON', async () => {
    const rows = sampleRows('XLM_BTC-5m.json').slice(0, 50);
    const ms = ['time,open,high,low,close,volume', ...rows.map((r) => r.join(','))].join('\n');
    const iso = ['Time, Open, High, Low, Close, Volume', ...rows.map(([t, ...v]) => [new Date(t).toISOString(), ...v].join(','))].join('\r\n') + '\r\n';
    mkdirP(join(dir, 'ms'));
    mkdirP(join(dir, 'iso'));
    writeFileSync(join(dir, 'ms', 'XLM_BTC-5m.csv'), ms);
    writeFileSync(join(dir, 'iso', 'XLM_BTC-5m.csv'), iso);
    const expected = rows.map((r) => toCandle('XLM/BTC', r));
    expect(await readReplayFile(join(dir, 'ms', 'XLM_BTC-5m.csv'), { log })).toEqual(expected);
    expect(await readReplayFile(join(dir, 'iso', 'XLM_BTC-5m.csv'), { log })).toEqual(expected);
  });

  it('skips and counts bad rows, keeping the good ones', async () => {
    const rows = sampleRows('LTC_BTC-5m.json').slice(0, 5);
    const [a, b, c, d, e] = rows as [Row, Row, Row, Row, Row];
    const file = join(dir, 'LTC_BTC-5m.json');
    writeFileSync(
      file,
      JSON.stringify([a, [b[0], b[1], b[3] / 2, b[3], b[4], b[5]], b, b, [c[0], null, 1, 1, 1, 1], c, a, d, [e[0] + 1, ...e.slice(1)], e, 'row']),
    );
    const before = await rejectedCounts();
    const candles = await readReplayFile(file, { log });
    expect(candles).toEqual([a, b, c, d, e].map((r) => toCandle('LTC/BTC', r)));
    expect(await rejectedSince(before)).toEqual({ high_below_body: 1, duplicate: 2, bad_shape: 2, misaligned_time: 1 });
  });

  it('refuses a file that is not a candle file (ConfigError, exit 2)', async () => {
    const file = join(dir, 'BAD_BTC-5m.json');
    writeFileSync(file, '{"not": "rows"');
    await expect(readReplayFile(file, { log })).rejects.toThrow(ConfigError);
    await expect(readReplayFile(join(dir, 'NONE_BTC-5m.json'), { log })).rejects.toThrow(/cannot be read/);
    const csv = join(dir, 'BAD_BTC-5m.csv');
    writeFileSync(csv, 'date,o,h,l,c\n1,2,3,4,5\n');
    await expect(readReplayFile(csv, { log })).rejects.toThrow(/header/);
  });
});

describe('ReplaySource', () => {
  it('merges the four 5m files into one tick per close time, keeping gaps as gaps', async () => {
    const gapsBefore = (await candleGaps.get()).values.find((v) => v.labels.source === 'replay')?.value ?? 0;
    const src = await ReplaySource.open(SAMPLE_FILES.map(samplePath), { log });
    expect([...src.symbols].sort()).toEqual(['DASH/BTC', 'LTC/BTC', 'XLM/BTC', 'ZEC/BTC']);
    expect(src.timeframe).toBe('5m');
    const batches = await collect(src);

    // Expected ticks, computed from the raw files: open time -> symbols having a row at that time.
    const expected = new Map<number, string[]>();
    for (const f of SAMPLE_FILES) {
      const symbol = f.replace(/-5m\.json$/, '').replace('_', '/');
      for (const r of sampleRows(f)) expected.set(r[0], [...(expected.get(r[0]) ?? []), symbol]);
    }
    const times = [...expected.keys()].sort((x, y) => x - y);
    expect(batches.map((b) => b.closeTime)).toEqual(times.map((t) => t + 300_000));
    for (const b of batches) {
      const t = b.closeTime - 300_000;
      expect(b.candles.map((c) => c.symbol)).toEqual([...expected.get(t)!].sort());
      expect(b.candles.every((c) => c.openTime === t)).toBe(true);
    }
    expect(batches.reduce((n, b) => n + b.candles.length, 0)).toBe(5760 + 5760 + 5758 + 5757);

    // Each series arrives exactly as its file holds it: no candle invented over the gaps.
    for (const f of SAMPLE_FILES) {
      const symbol = f.replace(/-5m\.json$/, '').replace('_', '/');
      const got = batches.flatMap((b) => b.candles.filter((c) => c.symbol === symbol));
      expect(got).toEqual(sampleRows(f).map((r) => toCandle(symbol, r)));
    }
    const gapsAfter = (await candleGaps.get()).values.find((v) => v.labels.source === 'replay')?.value ?? 0;
    expect(gapsAfter - gapsBefore).toBe(4); // DASH 2 + ZEC 2
    expect(src.status).toBe('ended');
  });

  it('replays with a speed factor in order and ends', async () => {
    const rows = sampleRows('LTC_BTC-5m.json').slice(0, 20);
    mkdirP(join(dir, 'speed'));
    const file = join(dir, 'speed', 'LTC_BTC-5m.json');
    writeFileSync(file, JSON.stringify(rows));
    // 5 minutes per candle compressed 3,000,000-fold: 0.1 ms between ticks.
    const src = await ReplaySource.open([file], { log, speed: 3_000_000 });
    const batches = await collect(src);
    expect(batches.flatMap((b) => b.candles)).toEqual(rows.map((r) => toCandle('LTC/BTC', r)));
  });

  it('stops mid-replay: status stopped, finished resolves, nothing delivered after stop', async () => {
    const src = await ReplaySource.open([samplePath('LTC_BTC-5m.json')], { log });
    const statuses: string[] = [];
    src.onStatus((s) => statuses.push(s));
    let delivered = 0;
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    await src.start(async () => {
      delivered++;
      if (delivered === 10) await blocked;
    });
    await expect(src.start(() => undefined)).rejects.toThrow(/already started/);
    await vi.waitFor(() => expect(delivered).toBe(10), WAIT);
    const stopping = src.stop();
    release();
    await stopping;
    await src.finished;
    await src.stop(); // idempotent
    expect(delivered).toBe(10);
    expect(statuses).toEqual(['streaming', 'stopped']);
  });

  it('fails when the sink throws: status failed and finished rejects with the error', async () => {
    const src = await ReplaySource.open([samplePath('LTC_BTC-5m.json')], { log });
    await src.start(() => {
      throw new Error('consumer bug');
    });
    await expect(src.finished).rejects.toThrow('consumer bug');
    expect(src.status).toBe('failed');
    expect(src.error?.message).toBe('consumer bug');
  });
});

function mkdirP(p: string): void {
  mkdirSync(p, { recursive: true });
}
