/**
 * Test helpers: the real Binance candles the repository holds (data/sample/, then
 * tests/fixtures/candles/: see the README there) and the TA-Lib reference fixtures of
 * tests/fixtures/talib (see the README there for how they were produced). Tests read nothing
 * outside the repository, so a fresh clone passes alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IndicatorColumn } from '../../src/domain/indicators.ts';
import type { Bar } from '../../src/features/indicators/indicator.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where candle files are looked up, in order: the bundled sample, then the test-only fixtures. */
export const CANDLE_DIRS = [`${here}../../data/sample`, `${here}../fixtures/candles`] as const;
const FIXTURE_DIR = `${here}../fixtures/talib`;

/** The path of a candle file (`LTC_BTC-5m.json`) inside the repository. */
export function candlePath(file: string): string {
  for (const dir of CANDLE_DIRS) {
    const path = `${dir}/${file}`;
    if (existsSync(path)) return path;
  }
  throw new Error(`candle file ${file} is in none of ${CANDLE_DIRS.join(', ')}: copy it into tests/fixtures/candles (see its README)`);
}

/** A freqtrade-style candle file as bars, oldest first. */
export function loadBars(file: string): Bar[] {
  const rows = JSON.parse(readFileSync(candlePath(file), 'utf8')) as number[][];
  return rows.map(([openTime, open, high, low, close, volume]) => ({
    openTime: openTime!,
    open: open!,
    high: high!,
    low: low!,
    close: close!,
    volume: volume!,
  }));
}

export interface TalibSeries {
  function: string;
  params: Record<string, number>;
  output: string;
  begIndex: number;
  values: (number | null)[];
}

export interface TalibFixture {
  source: string;
  candles: number;
  first_open_time: number;
  last_open_time: number;
  ta_lib: { c_version: string; npm_package: string };
  series: Partial<Record<IndicatorColumn, TalibSeries>>;
}

export function loadTalibFixture(file: string): TalibFixture {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}/${file}`, 'utf8')) as TalibFixture;
}

export const REL_TOL = 1e-9;

/**
 * Near zero a relative bound is meaningless, so |ours − TA-Lib| ≤ 1e-9 · max(|TA-Lib|, floor):
 * - 0..100 oscillators: floor 1, i.e. 1e-9 absolute on the 0–100 scale. TA-Lib's STOCH smooths
 *   with a running sum whose residue leaves values like ±3e-14 where the exact value is 0.
 * - MACD line and signal cross 0: floor 1e-3 · close, i.e. 1e-12 of the price they are made of.
 * - price_change_pct crosses 0: floor 1e-3 (percent), i.e. 1e-12 absolute.
 * - everything else is a positive price, range or volume: no floor, plain relative error.
 */
export function floorFor(column: IndicatorColumn, bar: Bar): number {
  switch (column) {
    case 'adx_value':
    case 'rsi_value':
    case 'stoch_k':
    case 'stoch_d':
    case 'mfi_value':
      return 1;
    case 'macd_line':
    case 'macd_signal':
      return 1e-3 * bar.close;
    case 'price_change_pct':
      return 1e-3;
    default:
      return 0;
  }
}
