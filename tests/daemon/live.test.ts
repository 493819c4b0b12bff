/**
 * The daemon on a live Binance-style feed: a fake exchange on loopback (tests/helpers/fake-exchange.ts)
 * serving real LTC/BTC and XLM/BTC candles on virtual time, a real embedded store.
 *
 * First start with no history: the feed fetches recent candles to warm up, then live candles each
 * produce one signal per symbol as they close. The daemon stops; candles keep closing; a second
 * daemon on the same store resumes from the newest stored candle, backfills the downtime from REST,
 * and continues live. In the end every candle from the first signal on has exactly one signal.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { SAMPLE_DATA_DIR } from '../../src/ingest/feed-spec.ts';
import { createLogger } from '../../src/log.ts';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { dataDirFrom, migratedTemplate, removeDir, storedState } from './helpers.ts';

const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
const FIVE_MIN = 300_000;
const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
let exchange: FakeExchange;
let data: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  data = dataDirFrom(template);
  dirs.push(template, data);
  const series = Object.fromEntries(
    await Promise.all(SYMBOLS.map(async (s) => [s, (await readReplayFile(`${SAMPLE_DATA_DIR}${s.replace('/', '_')}-5m.json`, { log })).slice(0, 400)] as const)),
  );
  exchange = await FakeExchange.start({ series, timeframe: '5m' });
}, 240_000);

afterAll(async () => {
  await exchange?.stop();
  for (const d of dirs) removeDir(d);
});

function daemon(): Daemon {
  const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
  return new Daemon(config, log, {
    feed: `binance:${exchange.wsBase},rest=${exchange.restBase}`,
    symbols: SYMBOLS,
    timeframe: '5m',
    port: 0,
    host: '127.0.0.1',
    clock: exchange.clock,
  });
}

/** Waits until the engine has seen candle `openTime` (or a later one) of every symbol. */
async function upTo(d: Daemon, openTime: number): Promise<void> {
  await vi.waitFor(
    () => {
      for (const s of SYMBOLS) expect(d.engine!.lastOpenTime(s, '5m') ?? 0).toBeGreaterThanOrEqual(openTime);
    },
    { timeout: 60_000, interval: 20 },
  );
}

describe('the daemon on a live feed', () => {
  it('warms up, signals every live candle once, and resumes across a restart without a gap', async () => {
    for (let i = 0; i < 200; i++) exchange.tick({ send: false }); // history the exchange has before we start
    const first = daemon();
    await first.start();
    // The REST fetch may leave out the candle that closed at this very instant (clock-skew
    // tolerance); the next live candle's gap check fetches it before that candle's signal.
    await upTo(first, exchange.openTime(198));
    for (let i = 0; i < 20; i++) exchange.tick();
    await upTo(first, exchange.openTime(219));
    await first.stop();

    for (let i = 0; i < 15; i++) exchange.tick(); // closes while no daemon runs
    const second = daemon();
    await second.start();
    await upTo(second, exchange.openTime(233));
    for (let i = 0; i < 10; i++) exchange.tick();
    await upTo(second, exchange.openTime(244));
    await second.stop();

    const { predictions } = await storedState(data);
    for (const symbol of SYMBOLS) {
      const times = predictions.filter((p) => p.symbol === symbol).map((p) => p.candleTime);
      // One signal per candle, every 5 minutes without a hole, up to the last candle that closed.
      expect(new Set(times).size).toBe(times.length);
      expect(times.slice(1).every((t, i) => t - times[i]! === FIVE_MIN)).toBe(true);
      expect(times.at(-1)).toBe(exchange.openTime(244));
      // From the warm-up fetch (50 + 60 recent candles: the first signal on the 50th) to candle 244.
      expect(times[0]).toBeLessThanOrEqual(exchange.openTime(199 - 60));
    }
  }, 300_000);
});
