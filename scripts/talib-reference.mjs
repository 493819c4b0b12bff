#!/usr/bin/env node
/**
 * Regenerates the TA-Lib reference fixtures in tests/fixtures/talib/ from real candle files.
 *
 * TA-Lib is not a dependency of signalbase: build the npm package `talib` (node-talib, which bundles
 * TA-Lib's C source) somewhere outside the repository and pass its directory. See
 * tests/fixtures/talib/README.md for the exact build steps used for the committed fixtures.
 *
 *   node scripts/talib-reference.mjs --talib /tmp/talib-gen/pkg/package [FILE.json ...]
 *
 * Without FILEs it uses LTC_BTC-5m.json, XLM_BTC-5m.json and XRP_ETH-5m.json from the repository
 * (data/sample/, then tests/fixtures/candles/: byte-identical copies of the shared candle set the
 * fixtures' `source` names, as their `source_sha256` shows). Each output series has one entry per input candle, `null` before
 * TA-Lib's first output (index `begIndex`), then TA-Lib's doubles as JSON numbers (shortest
 * round-trip representation, so the values are bit-exact after JSON.parse).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags, positionals } = parseArgs({
  options: { talib: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
if (!flags.talib) {
  process.stderr.write('usage: node scripts/talib-reference.mjs --talib DIR_OF_BUILT_TALIB [FILE.json ...]\n');
  process.exit(2);
}
const talibDir = resolve(flags.talib);
const talib = createRequire(join(talibDir, 'package.json'))(talibDir);
const talibPkg = JSON.parse(readFileSync(join(talibDir, 'package.json'), 'utf8'));
const cVersion = /#define MAJOR "(\d+)"[\s\S]*#define MINOR "(\d+)"[\s\S]*#define BUILD "(\d+)"[\s\S]*#define EXTRA "([^"]*)"/.exec(
  readFileSync(join(talibDir, 'src/lib/src/ta_common/ta_version.c'), 'utf8'),
);
const taLibVersion = cVersion ? `${cVersion[1]}.${cVersion[2]}.${cVersion[3]}${cVersion[4] ? `-${cVersion[4]}` : ''}` : 'unknown';

const outDir = resolve(flags.out ?? join(repo, 'tests/fixtures/talib'));
const candleDirs = [join(repo, 'data/sample'), join(repo, 'tests/fixtures/candles')];
const inRepo = (f) => candleDirs.map((d) => join(d, f)).find((p) => existsSync(p)) ?? join(candleDirs[0], f);
const files = positionals.length > 0
  ? positionals.map((p) => resolve(p))
  : ['LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'XRP_ETH-5m.json'].map(inRepo);

const MA_SMA = 0;

/**
 * Each fixture column: the TA-Lib function, its parameters, which output it keeps.
 * Parameters are passed explicitly (never TA-Lib's defaults) so the fixture says what it tested.
 */
const SERIES = {
  adx_value: { name: 'ADX', input: 'hlc', params: { optInTimePeriod: 14 }, output: 'outReal' },
  rsi_value: { name: 'RSI', input: 'close', params: { optInTimePeriod: 14 }, output: 'outReal' },
  ema_12: { name: 'EMA', input: 'close', params: { optInTimePeriod: 12 }, output: 'outReal' },
  ema_21: { name: 'EMA', input: 'close', params: { optInTimePeriod: 21 }, output: 'outReal' },
  ema_50: { name: 'EMA', input: 'close', params: { optInTimePeriod: 50 }, output: 'outReal' },
  atr_value: { name: 'ATR', input: 'hlc', params: { optInTimePeriod: 14 }, output: 'outReal' },
  bollinger_upper: {
    name: 'BBANDS', input: 'close',
    params: { optInTimePeriod: 20, optInNbDevUp: 2, optInNbDevDn: 2, optInMAType: MA_SMA },
    output: 'outRealUpperBand',
  },
  bollinger_lower: {
    name: 'BBANDS', input: 'close',
    params: { optInTimePeriod: 20, optInNbDevUp: 2, optInNbDevDn: 2, optInMAType: MA_SMA },
    output: 'outRealLowerBand',
  },
  stoch_k: {
    name: 'STOCH', input: 'hlc',
    params: { optInFastK_Period: 14, optInSlowK_Period: 3, optInSlowK_MAType: MA_SMA, optInSlowD_Period: 3, optInSlowD_MAType: MA_SMA },
    output: 'outSlowK',
  },
  stoch_d: {
    name: 'STOCH', input: 'hlc',
    params: { optInFastK_Period: 14, optInSlowK_Period: 3, optInSlowK_MAType: MA_SMA, optInSlowD_Period: 3, optInSlowD_MAType: MA_SMA },
    output: 'outSlowD',
  },
  macd_line: { name: 'MACD', input: 'close', params: { optInFastPeriod: 12, optInSlowPeriod: 26, optInSignalPeriod: 9 }, output: 'outMACD' },
  macd_signal: { name: 'MACD', input: 'close', params: { optInFastPeriod: 12, optInSlowPeriod: 26, optInSignalPeriod: 9 }, output: 'outMACDSignal' },
  volume_ma: { name: 'SMA', input: 'volume', params: { optInTimePeriod: 20 }, output: 'outReal' },
  // ROC(1) = ((close / previous close) - 1) * 100: the same formula as price_change_pct.
  price_change_pct: { name: 'ROC', input: 'close', params: { optInTimePeriod: 1 }, output: 'outReal' },
  mfi_value: { name: 'MFI', input: 'hlcv', params: { optInTimePeriod: 14 }, output: 'outReal' },
};

function run(spec, cols) {
  const n = cols.close.length;
  const inputs =
    spec.input === 'close' ? { inReal: cols.close }
    : spec.input === 'volume' ? { inReal: cols.volume }
    : spec.input === 'hlc' ? { high: cols.high, low: cols.low, close: cols.close }
    : { high: cols.high, low: cols.low, close: cols.close, volume: cols.volume };
  const res = talib.execute({ name: spec.name, startIdx: 0, endIdx: n - 1, ...inputs, ...spec.params });
  if (res.error) throw new Error(`${spec.name}: ${res.error}`);
  const out = res.result[spec.output];
  if (!out) throw new Error(`${spec.name}: no output ${spec.output}`);
  if (res.begIndex + res.nbElement !== n) throw new Error(`${spec.name}: output does not reach the last candle`);
  const values = new Array(n).fill(null);
  for (let i = 0; i < res.nbElement; i++) values[res.begIndex + i] = out[i];
  // With startIdx 0, TA-Lib's begIndex is the function's lookback: the index of its first output.
  return { function: spec.name, params: spec.params, output: spec.output, begIndex: res.begIndex, values };
}

mkdirSync(outDir, { recursive: true });
for (const file of files) {
  const raw = readFileSync(file);
  const rows = JSON.parse(raw.toString('utf8'));
  const cols = {
    high: rows.map((r) => r[2]),
    low: rows.map((r) => r[3]),
    close: rows.map((r) => r[4]),
    volume: rows.map((r) => r[5]),
  };
  const series = {};
  for (const [column, spec] of Object.entries(SERIES)) {
    series[column] = run(spec, cols);
  }
  const fixture = {
    source: `../shared/data/candles/${basename(file)}`,
    source_sha256: createHash('sha256').update(raw).digest('hex'),
    candles: rows.length,
    first_open_time: rows[0][0],
    last_open_time: rows[rows.length - 1][0],
    generator: 'scripts/talib-reference.mjs',
    ta_lib: { c_version: taLibVersion, npm_package: `talib@${talibPkg.version}`, compatibility: 'TA_COMPATIBILITY_DEFAULT', unstable_period: 0 },
    series,
  };
  const outFile = join(outDir, basename(file));
  writeFileSync(outFile, `${JSON.stringify(fixture)}\n`);
  process.stderr.write(`wrote ${outFile}: ${rows.length} candles, ${Object.keys(series).length} series\n`);
}
