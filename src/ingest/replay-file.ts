/**
 * Reading one replay file into validated candles: freqtrade-style JSON `[[open_time_ms, o, h, l, c, v], ...]`
 * or CSV with the header `time,open,high,low,close,volume` (time as epoch ms or ISO 8601).
 * Symbol and timeframe come from the file name: `LTC_BTC-5m.json` is LTC/BTC, 5m.
 *
 * Rows that break a rule are rejected (counted, logged once per reason) and skipped; rows that
 * repeat or go back in time are rejected as duplicate / out_of_order. A file that cannot be read or
 * parsed at all is a ConfigError: the feed was misconfigured.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Candle } from '../domain/candle.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { TIMEFRAMES, isTimeframe, type Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import { rootLogger, type Logger } from '../log.ts';
import { RejectionReporter } from './rejections.ts';
import { SeriesTracker } from './series.ts';
import { validateCandle } from './validate.ts';

export interface ReplayFileInfo {
  path: string;
  symbol: string;
  timeframe: Timeframe;
  format: 'json' | 'csv';
}

const NAME = /^([A-Za-z0-9]+)_([A-Za-z0-9]+)-(\d+[mhd])\.(json|csv)$/;

/** Symbol, timeframe and format from the file name; ConfigError naming the file otherwise. */
export function replayFileInfo(path: string): ReplayFileInfo {
  const m = NAME.exec(basename(path));
  if (!m) {
    throw new ConfigError(`replay file ${path}: name must look like BASE_QUOTE-TIMEFRAME.json or .csv (e.g. LTC_BTC-5m.json)`, { path });
  }
  const [, base, quote, tf, ext] = m as unknown as [string, string, string, string, string];
  if (!isTimeframe(tf)) {
    throw new ConfigError(`replay file ${path}: unknown timeframe '${tf}' (one of ${TIMEFRAMES.join(', ')})`, { path });
  }
  return { path, symbol: `${base.toUpperCase()}/${quote.toUpperCase()}`, timeframe: tf, format: ext as 'json' | 'csv' };
}

export interface ReadReplayOptions {
  /** Rejections are counted and logged here (default: a reporter on the root logger). */
  reporter?: RejectionReporter;
  /** "Future" means later than this clock (default: the real clock, so 2018 data is in the past). */
  clock?: Clock;
  log?: Logger;
}

/** Reads, validates and orders one replay file. Gaps stay gaps. */
export async function readReplayFile(path: string, opts: ReadReplayOptions = {}): Promise<Candle[]> {
  const info = replayFileInfo(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`replay file ${path} cannot be read: ${(err as Error).message}`, { path });
  }
  const rows = info.format === 'json' ? parseJsonRows(text, path) : parseCsvRows(text, path);
  const reporter = opts.reporter ?? new RejectionReporter((opts.log ?? rootLogger()).child({ module: 'replay' }));
  const now = (opts.clock ?? systemClock).now();
  const tracker = new SeriesTracker();
  const out: Candle[] = [];
  for (const row of rows) {
    const raw = Array.isArray(row)
      ? { symbol: info.symbol, timeframe: info.timeframe, openTime: row[0], open: row[1], high: row[2], low: row[3], close: row[4], volume: row[5] }
      : row;
    const check = validateCandle(raw, { now });
    if (!check.ok) {
      reporter.report({ ...check, symbol: check.symbol ?? info.symbol });
      continue;
    }
    const verdict = tracker.check(check.candle);
    if (verdict.kind === 'duplicate' || verdict.kind === 'out_of_order') {
      reporter.count(verdict.kind, info.symbol, `${path}: row for ${new Date(check.candle.openTime).toISOString()} repeats or goes back in time`, row);
      continue;
    }
    tracker.commit(check.candle);
    out.push(check.candle);
  }
  return out;
}

function parseJsonRows(text: string, path: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`replay file ${path} is not valid JSON: ${(err as Error).message}`, { path });
  }
  if (!Array.isArray(data)) throw new ConfigError(`replay file ${path}: expected a JSON array of [time, open, high, low, close, volume] rows`, { path });
  return data.map((row: unknown) => (Array.isArray(row) && row.length >= 6 ? row : { malformedRow: row }));
}

const CSV_COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** CSV rows as raw-candle arrays [time, o, h, l, c, v]; cells that are not numbers become NaN. */
function parseCsvRows(text: string, path: string): unknown[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const index = CSV_COLUMNS.map((name) => header.indexOf(name));
  if (index.some((i) => i < 0)) {
    throw new ConfigError(`replay file ${path}: CSV header must name the columns ${CSV_COLUMNS.join(',')} (got '${lines[0] ?? ''}')`, { path });
  }
  const rows: unknown[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) {
      rows.push({ malformedRow: line, line: n + 1 });
      continue;
    }
    const [time, ...values] = index.map((i) => cells[i]!.trim());
    rows.push([parseTime(time!), ...values.map(parseNumber)]);
  }
  return rows;
}

function parseNumber(cell: string): number {
  return cell === '' ? Number.NaN : Number(cell);
}

function parseTime(cell: string): number {
  if (/^\d+$/.test(cell)) return Number(cell);
  return cell === '' ? Number.NaN : Date.parse(cell);
}
