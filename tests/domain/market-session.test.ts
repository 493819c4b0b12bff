/**
 * market_session from UTC time. The daylight-saving changeovers are pinned to the dates the centres'
 * governments publish (US: Energy Policy Act 2005; EU: Directive 2000/84/EC; NSW: Daylight Saving
 * Act 2008), and the offsets are checked hour by hour against the tz database that ships with Node's
 * ICU (Intl), which shares no code with the rules under test.
 */
import { describe, expect, it } from 'vitest';
import { CENTRES, forexClosedThroughout, forexOpen, marketSession, utcOffsetHours, type Centre } from '../../src/domain/market-session.ts';

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

  it('never leaves an open forex instant without a session name', () => {
    const names = new Set<string>();
    for (let t = at('2026-01-01T00:00:00Z'); t < at('2027-01-01T00:00:00Z'); t += 300_000) names.add(marketSession(t, 'forex'));
    for (const n of names) expect(n).toMatch(/^(closed|(sydney|tokyo|london|new_york)(_(sydney|tokyo|london|new_york))*)$/);
    expect(names).toContain('london_new_york');
    expect(names).toContain('closed');
  });
});
