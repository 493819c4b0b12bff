/**
 * `signalbase indicators` end to end: the command's own output, as a user gets it, against TA-Lib's
 * reference series (tests/fixtures/talib/README.md says how they were produced) and, for the
 * columns TA-Lib has no function for, against a direct computation here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../../src/domain/indicators.ts';
import { REL_TOL, floorFor, loadBars, loadTalibFixture } from '../features/candles.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/signalbase.js', import.meta.url).pathname;
const SAMPLE = new URL('../../data/sample/', import.meta.url).pathname;

async function signalbase(args: string[]) {
  return run(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024 });
}

type Row = Record<IndicatorColumn, number | null> & { symbol: string; timeframe: string; open_time: string };

describe.each(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'])('signalbase indicators on %s', (file) => {
  it('matches TA-Lib from each indicator’s first value and the direct definitions elsewhere', async () => {
    const { stdout } = await signalbase(['indicators', '--feed', `replay:${SAMPLE}${file}`, '--format', 'ndjson']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
    const bars = loadBars(file);
    const talib = loadTalibFixture(file);
    expect(rows).toHaveLength(bars.length);
    expect(rows[0]!.open_time).toBe(new Date(bars[0]!.openTime).toISOString());
    expect(Object.keys(rows[0]!)).toEqual(['symbol', 'timeframe', 'open_time', ...INDICATOR_COLUMNS]);

    let compared = 0;
    for (const [column, series] of Object.entries(talib.series) as [IndicatorColumn, NonNullable<(typeof talib.series)[IndicatorColumn]>][]) {
      for (let i = 0; i < bars.length; i++) {
        const expected = series.values[i];
        const actual = rows[i]![column];
        if (expected === null || expected === undefined) {
          expect(actual, `${column}[${i}] should still be warming up`).toBeNull();
          continue;
        }
        const bound = REL_TOL * Math.max(Math.abs(expected), floorFor(column, bars[i]!));
        if (!(actual !== null && Math.abs(actual - expected) <= bound)) {
          expect.fail(`${column}[${i}] = ${actual}, TA-Lib ${series.function} gives ${expected}`);
        }
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(14 * (bars.length - 60));

    // VWAP: session VWAP of typical price, reset at 00:00 UTC. Volatility: population sigma of the
    // last 20 log returns. Both straight from DESIGN.md, computed naively here.
    let day = -1;
    let pv = 0;
    let vol = 0;
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i]!;
      const d = Math.floor(b.openTime / 86_400_000);
      if (d !== day) [day, pv, vol] = [d, 0, 0];
      pv += ((b.high + b.low + b.close) / 3) * b.volume;
      vol += b.volume;
      if (vol > 0) expect(Math.abs(rows[i]!.vwap! - pv / vol)).toBeLessThanOrEqual(1e-9 * (pv / vol));
      if (i >= 20) {
        const r = Array.from({ length: 20 }, (_, k) => Math.log(bars[i - 19 + k]!.close / bars[i - 20 + k]!.close));
        const mean = r.reduce((a, x) => a + x, 0) / 20;
        const sigma = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / 20);
        expect(Math.abs(rows[i]!.volatility! - sigma)).toBeLessThanOrEqual(1e-9 * Math.max(sigma, 1e-12));
      } else {
        expect(rows[i]!.volatility).toBeNull();
      }
    }
  });
});

describe('signalbase indicators options', () => {
  it('writes CSV with a header and empty cells during warm-up, files merged in time order', async () => {
    const { stdout } = await signalbase(['indicators', '--feed', `replay:${SAMPLE}LTC_BTC-5m.json,${SAMPLE}XLM_BTC-5m.json`, '--format', 'csv']);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`symbol,timeframe,open_time,${INDICATOR_COLUMNS.join(',')}`);
    expect(lines).toHaveLength(1 + 2 * 5760);
    expect(lines[1]!.startsWith('LTC/BTC,5m,2018-01-10T04:55:00.000Z,,')).toBe(true);
    expect(lines[2]!.startsWith('XLM/BTC,5m,2018-01-10T04:55:00.000Z,,')).toBe(true);
    const times = lines.slice(1).map((l) => l.split(',')[2]!);
    expect([...times].sort()).toEqual(times);
  });

  it('refuses a non-replay feed and an unknown format with exit code 2', async () => {
    for (const args of [['--feed', 'synthetic'], ['--feed', `replay:${SAMPLE}LTC_BTC-5m.json`, '--format', 'xml'], []]) {
      const err = await signalbase(['indicators', ...args]).then(() => null, (e: { code: number; stderr: string }) => e);
      expect(err?.code).toBe(2);
      expect(err?.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
