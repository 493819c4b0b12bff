/**
 * `signalbase indicators --feed replay:PATH[,PATH...] [--format ndjson|csv] [--json]`: the 17 raw
 * indicator values of every candle, `null` during warm-up. Several files come out merged in time
 * order. Rows stream to stdout as they are computed, honouring backpressure.
 */
import { once } from 'node:events';
import type { Candle } from '../domain/candle.ts';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../domain/indicators.ts';
import { ConfigError } from '../errors.ts';
import { IndicatorSet } from '../features/indicator-set.ts';
import { parseFeedSpec } from '../ingest/feed-spec.ts';
import { mergeTicks } from '../ingest/merge.ts';
import { readReplayFile } from '../ingest/replay-file.ts';
import { parseFlags, type Command } from './command.ts';

type Format = 'ndjson' | 'csv' | 'json';

function row(c: Candle, values: IndicatorValues): Record<string, unknown> {
  return { symbol: c.symbol, timeframe: c.timeframe, open_time: new Date(c.openTime).toISOString(), ...values };
}

function csvLine(c: Candle, values: IndicatorValues): string {
  const cells = INDICATOR_COLUMNS.map((k) => (values[k] === null ? '' : String(values[k])));
  return `${c.symbol},${c.timeframe},${new Date(c.openTime).toISOString()},${cells.join(',')}\n`;
}

const command: Command = {
  summary: 'export the 17 raw indicator values per candle',
  usage: 'usage: signalbase indicators --feed replay:PATH[,PATH...] [--format ndjson|csv] [--json]',
  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, {
      feed: { type: 'string' },
      format: { type: 'string', default: 'ndjson' },
      json: { type: 'boolean', default: false },
    });
    const format: Format = values.json ? 'json' : (values.format as Format);
    if (!['ndjson', 'csv', 'json'].includes(format)) throw new ConfigError(`--format must be ndjson or csv, not '${values.format}'`);
    const feed = values.feed ?? config.feed;
    if (!feed) throw new ConfigError(`--feed is required: ${this.usage.replace('usage: ', '')}`);
    const spec = parseFeedSpec(feed);
    if (spec.kind !== 'replay') throw new ConfigError(`indicators reads replay files only; got a ${spec.kind} feed`);

    const series = await Promise.all(spec.paths.map((p) => readReplayFile(p, { log })));
    const sets = new Map<string, IndicatorSet>();
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    };

    if (format === 'csv') await write(`symbol,timeframe,open_time,${INDICATOR_COLUMNS.join(',')}\n`);
    if (format === 'json') await write('[');
    let rows = 0;
    for (const tick of mergeTicks(series)) {
      for (const c of tick.candles) {
        const key = `${c.symbol}|${c.timeframe}`;
        let set = sets.get(key);
        if (!set) sets.set(key, (set = new IndicatorSet(c.symbol)));
        const v = set.update(c);
        if (format === 'csv') await write(csvLine(c, v));
        else if (format === 'json') await write(`${rows ? ',' : ''}\n${JSON.stringify(row(c, v))}`);
        else await write(`${JSON.stringify(row(c, v))}\n`);
        rows += 1;
      }
    }
    if (format === 'json') await write('\n]\n');
    log.info({ rows, files: spec.paths.length }, 'indicators exported');
    return 0;
  },
};

export default command;
