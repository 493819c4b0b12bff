/**
 * Which trading centre's session a candle falls in (DESIGN.md "Feeds": every signal and training
 * sample carries `market_session`), from UTC time alone, with each centre's daylight-saving rule.
 *
 * Forex: the week runs from Sunday 17:00 to Friday 17:00 New York time; outside it the market is
 * `closed`. Within it the session is every centre whose local business hours contain the instant,
 * joined in the order the day moves (`sydney`, `tokyo`, `london`, `new_york`), e.g. `london_new_york`.
 * Crypto venues trade around the clock: `24h`.
 *
 * Local hours (the usual forex session windows):
 *   Sydney 07:00–16:00 (AEST UTC+10, AEDT UTC+11 from the first Sunday of October 02:00 local to the
 *     first Sunday of April 03:00 local; rule since 2008)
 *   Tokyo  09:00–18:00 (JST UTC+9, no daylight saving)
 *   London 08:00–17:00 (GMT, BST UTC+1 from the last Sunday of March to the last Sunday of October,
 *     both at 01:00 UTC; EU rule)
 *   New York 08:00–17:00 (EST UTC−5, EDT UTC−4 from the second Sunday of March 02:00 local to the
 *     first Sunday of November 02:00 local; US rule since 2007)
 * The rules are computed, not looked up, so this runs per candle at no cost and needs no tz data.
 */

export type MarketKind = 'forex' | 'crypto';

export type Centre = 'sydney' | 'tokyo' | 'london' | 'new_york';

/** `closed`, `24h`, one centre, or an overlap of centres joined by `_` in day order. */
export type MarketSession = string;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const CENTRES: readonly Centre[] = ['sydney', 'tokyo', 'london', 'new_york'];

const HOURS: Record<Centre, readonly [number, number]> = {
  sydney: [7, 16],
  tokyo: [9, 18],
  london: [8, 17],
  new_york: [8, 17],
};

/** Epoch ms of 00:00 UTC on the n-th (1-based; -1 = last) given weekday (0 = Sunday) of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month, 1);
    const offset = (weekday - new Date(first).getUTCDay() + 7) % 7;
    return first + (offset + 7 * (n - 1)) * DAY;
  }
  const last = Date.UTC(year, month + 1, 0);
  const back = (new Date(last).getUTCDay() - weekday + 7) % 7;
  return last - back * DAY;
}

/** Offset from UTC in hours of a centre at an instant. */
export function utcOffsetHours(centre: Centre, t: number): number {
  const year = new Date(t).getUTCFullYear();
  switch (centre) {
    case 'tokyo':
      return 9;
    case 'london': {
      const start = nthWeekday(year, 2, 0, -1) + 1 * HOUR;
      const end = nthWeekday(year, 9, 0, -1) + 1 * HOUR;
      return t >= start && t < end ? 1 : 0;
    }
    case 'new_york': {
      // 02:00 EST = 07:00 UTC; 02:00 EDT = 06:00 UTC.
      const start = nthWeekday(year, 2, 0, 2) + 7 * HOUR;
      const end = nthWeekday(year, 10, 0, 1) + 6 * HOUR;
      return t >= start && t < end ? -4 : -5;
    }
    case 'sydney': {
      // Southern summer: daylight time from October to April of the next year.
      // Ends 03:00 AEDT = 16:00 UTC the day before; starts 02:00 AEST = 16:00 UTC the day before.
      const end = nthWeekday(year, 3, 0, 1) - 8 * HOUR;
      const start = nthWeekday(year, 9, 0, 1) - 8 * HOUR;
      return t < end || t >= start ? 11 : 10;
    }
  }
}

/** Local wall-clock time of a centre as epoch-like ms (read its UTC fields). */
function local(centre: Centre, t: number): Date {
  return new Date(t + utcOffsetHours(centre, t) * HOUR);
}

function isWeekday(d: Date): boolean {
  const day = d.getUTCDay();
  return day >= 1 && day <= 5;
}

/** True from Sunday 17:00 to Friday 17:00 New York time. */
export function forexOpen(t: number): boolean {
  const ny = local('new_york', t);
  const day = ny.getUTCDay();
  const hour = ny.getUTCHours();
  if (day === 6) return false;
  if (day === 0) return hour >= 17;
  if (day === 5) return hour < 17;
  return true;
}

/** Whether a centre's business hours contain the instant (on a local weekday). */
export function centreOpen(centre: Centre, t: number): boolean {
  const d = local(centre, t);
  if (!isWeekday(d)) return false;
  const minutes = d.getUTCHours() * 60 + d.getUTCMinutes();
  const [from, to] = HOURS[centre];
  return minutes >= from * 60 && minutes < to * 60;
}

/**
 * The session at an instant. Within the forex week an instant that no centre's hours cover (the
 * hour between New York's close and Sydney's open in some weeks) belongs to the session about to
 * open, `sydney`: the market is open there, only thin.
 */
export function marketSession(t: number, market: MarketKind): MarketSession {
  if (market === 'crypto') return '24h';
  if (!forexOpen(t)) return 'closed';
  const open = CENTRES.filter((c) => centreOpen(c, t));
  return open.length === 0 ? 'sydney' : open.join('_');
}

/** Whether a forex candle [openTime, openTime + tfMs) lies entirely in a closed market. */
export function forexClosedThroughout(openTime: number, tfMs: number): boolean {
  // The market's open/close edges fall on whole hours, so checking both ends of a candle of up to
  // an hour decides it; longer candles are checked hour by hour.
  const step = Math.min(tfMs, HOUR);
  for (let t = openTime; t < openTime + tfMs; t += step) if (forexOpen(t)) return false;
  return true;
}

/** ISO 4217 currencies forex venues quote, and the precious metals they trade against them. */
const FOREX_UNITS = new Set([
  'USD', 'EUR', 'JPY', 'GBP', 'AUD', 'NZD', 'CAD', 'CHF', 'CNH', 'CNY', 'HKD', 'SGD', 'SEK', 'NOK', 'DKK',
  'PLN', 'HUF', 'CZK', 'TRY', 'ZAR', 'MXN', 'THB', 'INR', 'KRW', 'TWD', 'SAR', 'ILS', 'RUB', 'BRL',
  'XAU', 'XAG', 'XPT', 'XPD',
]);

/**
 * Forex when both sides are fiat currencies (or a metal against one), as `EUR/USD` or `XAU/USD`;
 * crypto otherwise (`BTC/USDT`, `LTC/BTC`, `BTC/EUR`). A feed that knows better (OANDA: every
 * instrument keeps forex hours) passes its own kind.
 */
export function marketKindOf(symbol: string): MarketKind {
  const [base, quote] = symbol.split('/');
  return base !== undefined && quote !== undefined && FOREX_UNITS.has(base) && FOREX_UNITS.has(quote) ? 'forex' : 'crypto';
}

/**
 * Whether every candle from `from` to `to` (open times, inclusive) lies in a shut market: the
 * forex weekend for a forex symbol; never for crypto. Such a hole in a series is no gap.
 */
export function marketShutThroughout(market: MarketKind, from: number, to: number, tfMs: number): boolean {
  if (market !== 'forex') return false;
  for (let t = from; t <= to; t += tfMs) if (!forexClosedThroughout(t, tfMs)) return false;
  return true;
}
