/**
 * Test helpers: the real Binance candles of ../shared/data/candles and the TA-Lib reference
 * fixtures of tests/fixtures/talib (see the README there for how they were produced).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IndicatorColumn } from '../../src/features/columns.ts';
import type { Bar } from '../../src/features/indicators/indicator.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
export const CANDLE_DIR = `${here}../../../shared/data/candles`;
const FIXTURE_DIR = `${here}../fixtures/talib`;

/** A freqtrade-style candle file as bars, oldest first. */
export function loadBars(file: string): Bar[] {
  const rows = JSON.parse(readFileSync(`${CANDLE_DIR}/${file}`, 'utf8')) as number[][];
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
