/**
 * The `synthetic[:seed=N,symbols=K,timeframe=TF,vol=X,candles=N,start=ISO,shift_at=N,shift_vol=X,shift_drift=X,speed=N]`
 * feed: seeded random candles (synthetic.ts), optionally with a regime shift for drift tests.
 */
import { TIMEFRAMES, isTimeframe } from '../domain/timeframe.ts';
import { feedSpecError, parseNumber, parseSpeed, type FeedKind } from './feed-kind.ts';
import { SYNTHETIC_DEFAULTS, SyntheticSource, type SyntheticParams } from './synthetic.ts';

export interface SyntheticSpec {
  kind: 'synthetic';
  params: SyntheticParams;
  timeframeGiven: boolean;
  speed: number | undefined;
}

export const syntheticFeed: FeedKind<SyntheticSpec> = {
  scheme: 'synthetic',
  usage: 'synthetic[:seed=N,symbols=K,timeframe=TF,vol=X,candles=N]',
  live: false,
  parse: (spec, rest) => parseSynthetic(spec, rest),
  create(feed, deps) {
    const params = { ...feed.params, timeframe: feed.timeframeGiven ? feed.params.timeframe : (deps.timeframe ?? feed.params.timeframe) };
    return new SyntheticSource(params, { speed: feed.speed ?? deps.defaultSpeed, log: deps.log });
  },
  check(feed, ctx) {
    const p = feed.params;
    return { ok: true, detail: `synthetic: seed=${p.seed} symbols=${p.symbols} timeframe=${ctx.timeframe && !feed.timeframeGiven ? ctx.timeframe : p.timeframe} candles=${p.candles} vol=${p.vol} (valid)` };
  },
};

const SYNTHETIC_KEYS = ['seed', 'symbols', 'timeframe', 'vol', 'candles', 'start', 'shift_at', 'shift_vol', 'shift_drift', 'speed'];

function parseSynthetic(spec: string, rest: string): SyntheticSpec {
  const params: SyntheticParams = { ...SYNTHETIC_DEFAULTS };
  let speed: number | undefined;
  let timeframeGiven = false;
  for (const pair of rest.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const int = (min: number, max: number) => parseNumber(spec, k, v, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
    switch (k) {
      case 'seed': params.seed = int(0, Number.MAX_SAFE_INTEGER); break;
      case 'symbols': params.symbols = int(1, 100_000); break;
      case 'candles': params.candles = int(1, 100_000_000); break;
      case 'vol': params.vol = parseNumber(spec, k, v, (n) => n > 0 && n <= 0.2, 'a per-candle volatility in (0, 0.2]'); break;
      case 'shift_at': params.shiftAt = int(0, 100_000_000); break;
      case 'shift_vol': params.shiftVol = parseNumber(spec, k, v, (n) => n > 0 && n <= 100, 'a multiplier in (0, 100]'); break;
      case 'shift_drift': params.shiftDrift = parseNumber(spec, k, v, (n) => Math.abs(n) <= 10, 'a drift in sigma per candle, within [-10, 10]'); break;
      case 'speed': speed = parseSpeed(spec, v); break;
      case 'timeframe':
        if (!isTimeframe(v)) throw feedSpecError(spec, `timeframe=${v} must be one of ${TIMEFRAMES.join(', ')}`);
        params.timeframe = v;
        timeframeGiven = true;
        break;
      case 'start': {
        const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isFinite(t)) throw feedSpecError(spec, `start=${v} must be an ISO time or epoch milliseconds`);
        params.start = t;
        break;
      }
      default:
        throw feedSpecError(spec, `unknown synthetic parameter '${k}' (one of ${SYNTHETIC_KEYS.join(', ')})`);
    }
  }
  return { kind: 'synthetic', params, timeframeGiven, speed };
}
