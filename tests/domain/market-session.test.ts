/**
 * market_session from UTC time. The daylight-saving changeovers are pinned to the dates the centres'
 * governments publish (US: Energy Policy Act 2005; EU: Directive 2000/84/EC; NSW: Daylight Saving
 * Act 2008), and the offsets are checked hour by hour against the tz database that ships with Node's
 * ICU (Intl), which shares no code with the rules under test.
 */
import { describe, expect, it } from 'vitest';
import { CENTRES, forexClosedThroughout, forexOpen, marketSession, utcOffsetHours, type Centre } from '../../src/domain/market-session.ts';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../src/domain/indicators.ts';
import { technicalSummary } from '../../src/features/summary.ts';

const NO_VALUES = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, null])) as unknown as IndicatorValues;

const ZONES: Record<Centre, string> = {
  sydney: 'Australia/Sydney',
  tokyo: 'Asia/Tokyo',
  london: 'Europe/London',
  new_york: 'America/New_York',
};

const formats = new Map<string, Intl.DateTimeFormat>();

function intlOffsetHours(zone: string, t: number): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formats.set(zone, f);
  }
  const parts = f.formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((asUtc - t) / 3_600_000);
}

const at = (iso: string) => Date.parse(iso);

describe('market sessions', () => {
  it('pins the 2026 daylight-saving changeovers of each centre to the minute', () => {
    const cases: [Centre, string, number, number][] = [
      ['new_york', '2026-03-08T07:00:00Z', -5, -4], // second Sunday of March, 02:00 EST
      ['new_york', '2026-11-01T06:00:00Z', -4, -5], // first Sunday of November, 02:00 EDT
      ['london', '2026-03-29T01:00:00Z', 0, 1], // last Sunday of March, 01:00 UTC
      ['london', '2026-10-25T01:00:00Z', 1, 0], // last Sunday of October, 01:00 UTC
      ['sydney', '2026-04-04T16:00:00Z', 11, 10], // first Sunday of April, 03:00 AEDT
      ['sydney', '2026-10-03T16:00:00Z', 10, 11], // first Sunday of October, 02:00 AEST
    ];
    for (const [centre, iso, before, after] of cases) {
      expect(utcOffsetHours(centre, at(iso) - 60_000), `${centre} before ${iso}`).toBe(before);
      expect(utcOffsetHours(centre, at(iso)), `${centre} at ${iso}`).toBe(after);
    }
  });

  it('agrees with the tz database every hour from 2019 to 2028', () => {
    const mismatches: string[] = [];
    for (let t = at('2019-01-01T00:00:00Z'); t < at('2029-01-01T00:00:00Z'); t += 3_600_000) {
      for (const c of CENTRES) {
        const want = intlOffsetHours(ZONES[c], t);
        if (utcOffsetHours(c, t) !== want) mismatches.push(`${c} ${new Date(t).toISOString()} want ${want}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('names the sessions and overlaps of an ordinary week (London on GMT, New York on EST)', () => {
    expect(marketSession(at('2026-01-14T02:00:00Z'), 'forex')).toBe('sydney_tokyo'); // 13:00 AEDT, 11:00 JST
    expect(marketSession(at('2026-01-14T06:00:00Z'), 'forex')).toBe('tokyo'); // 17:00 AEDT: Sydney closed at 16:00
    expect(marketSession(at('2026-01-14T08:30:00Z'), 'forex')).toBe('tokyo_london'); // 17:30 JST, 08:30 GMT
    expect(marketSession(at('2026-01-14T11:00:00Z'), 'forex')).toBe('london');
    expect(marketSession(at('2026-01-14T14:00:00Z'), 'forex')).toBe('london_new_york'); // 09:00 EST
    expect(marketSession(at('2026-01-14T18:00:00Z'), 'forex')).toBe('new_york');
    expect(marketSession(at('2026-01-14T21:00:00Z'), 'forex')).toBe('sydney_new_york'); // 08:00 AEDT, 16:00 EST
    expect(marketSession(at('2026-01-14T22:30:00Z'), 'forex')).toBe('sydney'); // 09:30 AEDT Thursday
  });

  it('moves London and New York by an hour in summer', () => {
    // 12:30 UTC: in January London only (NY opens 13:00 UTC); in July NY is open (08:30 EDT).
    expect(marketSession(at('2026-01-14T12:30:00Z'), 'forex')).toBe('london');
    expect(marketSession(at('2026-07-15T12:30:00Z'), 'forex')).toBe('london_new_york');
    // 16:30 UTC: 16:30 GMT in January (London open), 17:30 BST in July (London closed).
    expect(marketSession(at('2026-01-14T16:30:00Z'), 'forex')).toBe('london_new_york');
    expect(marketSession(at('2026-07-15T16:30:00Z'), 'forex')).toBe('new_york');
  });

  it('is closed from Friday 17:00 to Sunday 17:00 New York time, by New York daylight saving', () => {
    expect(forexOpen(at('2026-01-16T21:59:00Z'))).toBe(true); // Fri 16:59 EST
    expect(forexOpen(at('2026-01-16T22:00:00Z'))).toBe(false); // Fri 17:00 EST
    expect(marketSession(at('2026-01-17T12:00:00Z'), 'forex')).toBe('closed');
    expect(forexOpen(at('2026-01-18T21:59:00Z'))).toBe(false); // Sun 16:59 EST
    expect(forexOpen(at('2026-01-18T22:00:00Z'))).toBe(true); // Sun 17:00 EST
    expect(forexOpen(at('2026-07-17T21:00:00Z'))).toBe(false); // Fri 17:00 EDT
    expect(forexOpen(at('2026-07-19T21:00:00Z'))).toBe(true); // Sun 17:00 EDT
    expect(forexClosedThroughout(at('2026-01-17T00:00:00Z'), 300_000)).toBe(true);
    expect(forexClosedThroughout(at('2026-01-16T21:55:00Z'), 300_000)).toBe(false);
  });

  it('gives crypto 24h at any instant, weekends included', () => {
    expect(marketSession(at('2026-01-17T12:00:00Z'), 'crypto')).toBe('24h');
    expect(marketSession(at('2026-01-14T14:00:00Z'), 'crypto')).toBe('24h');
  });

  it('pins the 2025 and 2027 changeovers too (the rules, not one year\'s dates)', () => {
    const cases: [Centre, string, number, number][] = [
      ['new_york', '2025-03-09T07:00:00Z', -5, -4],
      ['new_york', '2025-11-02T06:00:00Z', -4, -5],
      ['new_york', '2027-03-14T07:00:00Z', -5, -4],
      ['new_york', '2027-11-07T06:00:00Z', -4, -5],
      ['london', '2025-03-30T01:00:00Z', 0, 1],
      ['london', '2025-10-26T01:00:00Z', 1, 0],
      ['london', '2027-03-28T01:00:00Z', 0, 1],
      ['london', '2027-10-31T01:00:00Z', 1, 0],
      ['sydney', '2025-04-05T16:00:00Z', 11, 10],
      ['sydney', '2025-10-04T16:00:00Z', 10, 11],
      ['sydney', '2027-04-03T16:00:00Z', 11, 10],
      ['sydney', '2027-10-02T16:00:00Z', 10, 11],
    ];
    for (const [centre, iso, before, after] of cases) {
      expect(utcOffsetHours(centre, at(iso) - 60_000), `${centre} before ${iso}`).toBe(before);
      expect(utcOffsetHours(centre, at(iso)), `${centre} at ${iso}`).toBe(after);
    }
  });

  it('shifts the overlaps in the weeks when only one side has changed its clocks', () => {
    // 12:30 UTC in the three weeks New York is on EDT and London still on GMT (8 to 29 March 2026).
    expect(marketSession(at('2026-03-04T12:30:00Z'), 'forex')).toBe('london'); // 07:30 EST
    expect(marketSession(at('2026-03-18T12:30:00Z'), 'forex')).toBe('london_new_york'); // 08:30 EDT
    expect(marketSession(at('2026-04-01T12:30:00Z'), 'forex')).toBe('london_new_york'); // 13:30 BST, 08:30 EDT
    // 16:30 UTC: London (GMT) still open on 18 March; closed (17:30 BST) on 1 April.
    expect(marketSession(at('2026-03-18T16:30:00Z'), 'forex')).toBe('london_new_york');
    expect(marketSession(at('2026-04-01T16:30:00Z'), 'forex')).toBe('new_york');
    // 20:30 UTC: 07:30 AEDT on Thursday 2 April (Sydney opens with New York at 16:30 EDT); after
    // Sydney's clocks go back on 5 April it is 06:30 AEST, Sydney not yet open.
    expect(marketSession(at('2026-04-01T20:30:00Z'), 'forex')).toBe('sydney_new_york');
    expect(marketSession(at('2026-04-07T20:30:00Z'), 'forex')).toBe('new_york');
    // The week New York has gone back (1 November) and Sydney is on AEDT: 21:30 UTC is 16:30 EST and 08:30 AEDT.
    expect(marketSession(at('2026-11-04T21:30:00Z'), 'forex')).toBe('sydney_new_york');
    // The week before (EDT): 21:30 UTC is 17:30 EDT, New York closed.
    expect(marketSession(at('2026-10-28T21:30:00Z'), 'forex')).toBe('sydney');
  });

  it('equals a session computed from Intl local times at every 5-minute step of 2026', () => {
    // The oracle: each centre's local weekday and minute from the tz database, its hours, the forex
    // week from New York's local clock; none of the code under test.
    const weekday = new Map(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].map((d, i) => [d, i]));
    const fmts = Object.fromEntries(
      CENTRES.map((c) => [c, new Intl.DateTimeFormat('en-US', { timeZone: ZONES[c], hourCycle: 'h23', weekday: 'short', hour: 'numeric', minute: 'numeric' })]),
    ) as Record<Centre, Intl.DateTimeFormat>;
    const hours: Record<Centre, [number, number]> = { sydney: [7, 16], tokyo: [9, 18], london: [8, 17], new_york: [8, 17] };
    const localOf = (c: Centre, t: number) => {
      const parts = fmts[c].formatToParts(new Date(t));
      const get = (type: string) => parts.find((p) => p.type === type)!.value;
      return { day: weekday.get(get('weekday'))!, minute: Number(get('hour')) * 60 + Number(get('minute')) };
    };
    const oracle = (t: number): string => {
      const ny = localOf('new_york', t);
      const open = ny.day === 6 ? false : ny.day === 0 ? ny.minute >= 17 * 60 : ny.day === 5 ? ny.minute < 17 * 60 : true;
      if (!open) return 'closed';
      const centres = CENTRES.filter((c) => {
        const l = localOf(c, t);
        return l.day >= 1 && l.day <= 5 && l.minute >= hours[c][0] * 60 && l.minute < hours[c][1] * 60;
      });
      return centres.length === 0 ? 'sydney' : centres.join('_');
    };
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (let t = at('2026-01-01T00:00:00Z'); t < at('2027-01-01T00:00:00Z'); t += 300_000) {
      const want = oracle(t);
      seen.add(want);
      const got = marketSession(t, 'forex');
      if (got !== want && wrong.length < 5) wrong.push(`${new Date(t).toISOString()} ${got}, want ${want}`);
      // The signal's summary (cached per open time) says the same, for a forex and a crypto symbol.
      const summary = technicalSummary(NO_VALUES, { openTime: t, volume: 1 }, { symbol: 'EUR/USD' });
      if (summary.session !== want && wrong.length < 5) wrong.push(`summary ${new Date(t).toISOString()} ${summary.session}, want ${want}`);
    }
    expect(wrong).toEqual([]);
    expect(technicalSummary(NO_VALUES, { openTime: at('2026-01-17T12:00:00Z'), volume: 1 }, { symbol: 'BTC/USDT' }).session).toBe('24h');
    // The year covers every single centre, the overlaps the hours allow, and the weekend.
    for (const name of ['closed', 'sydney', 'tokyo', 'london', 'new_york', 'sydney_tokyo', 'tokyo_london', 'london_new_york', 'sydney_new_york']) {
      expect(seen, name).toContain(name);
    }
  });
});
