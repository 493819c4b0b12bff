/**
 * A replay of a forex pair across a weekend: the hole from Friday 17:00 to Sunday 17:00 New York
 * time is the market being shut, not a gap (no log line, no candles_gaps_total), while a hole in
 * the middle of a trading day still is one. The crypto pair's weekend is a gap like any other.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { candleGaps } from '../../src/ingest/metrics.ts';
import { ReplaySource } from '../../src/ingest/replay.ts';
import { createLogger } from '../../src/log.ts';

const TF = 300_000;
const dir = mkdtempSync(join(tmpdir(), 'forex-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real 5m prices (data/sample) on the open times of 15–19 January 2026, the weekend left out by hand. */
function write(name: string, skip: (t: number) => boolean): void {
  const rows = JSON.parse(readFileSync(new URL('../../data/sample/LTC_BTC-5m.json', import.meta.url), 'utf8')) as number[][];
  const out: number[][] = [];
  let i = 0;
  for (let t = Date.parse('2026-01-16T12:00:00Z'); t < Date.parse('2026-01-19T06:00:00Z'); t += TF) {
    if (skip(t)) continue;
    const [, o, h, l, c, v] = rows[i++]!;
    out.push([t, o!, h!, l!, c!, v!]);
  }
  writeFileSync(join(dir, name), JSON.stringify(out));
}

const weekend = (t: number) => t >= Date.parse('2026-01-16T22:00:00Z') && t < Date.parse('2026-01-18T22:00:00Z');
const midweekHole = (t: number) => t >= Date.parse('2026-01-16T15:00:00Z') && t < Date.parse('2026-01-16T15:30:00Z');

async function gaps(): Promise<number> {
  return (await candleGaps.get()).values.filter((v) => v.labels.source === 'replay').reduce((a, v) => a + v.value, 0);
}

async function replay(file: string): Promise<number> {
  const before = await gaps();
  const source = await ReplaySource.open([join(dir, file)], { speed: 0, log: createLogger({ level: 'silent' }) });
  await source.start(() => undefined);
  await source.finished;
  return (await gaps()) - before;
}

describe('forex replay across a weekend', () => {
  it('counts the mid-week hole as a gap and the weekend as none', async () => {
    write('EUR_USD-5m.json', (t) => weekend(t) || midweekHole(t));
    expect(await replay('EUR_USD-5m.json')).toBe(1);
  });

  it('still counts a crypto pair\'s missing weekend as a gap', async () => {
    write('LTC_BTC-5m.json', weekend);
    expect(await replay('LTC_BTC-5m.json')).toBe(1);
  });
});
