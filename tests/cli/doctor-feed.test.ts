/**
 * doctor's `feed` check: ok for the bundled sample (the default), FAIL with "unreachable" for a
 * binance feed with nothing listening, ok against the fake exchange on loopback (real ws + REST
 * server), and FAIL naming the problem for a badly named replay file or missing SYMBOLS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFeed } from '../../src/cli/doctor-feed.ts';
import { freePort } from '../daemon/helpers.ts';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { groundTruth } from '../ingest/binance-helpers.ts';
import { runCli } from '../store/cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-doctor-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const feedLine = (stdout: string) => stdout.split('\n').find((l) => /^\S+\s+feed\b/.test(l));

describe('doctor feed check', () => {
  it('signalbase doctor: the bundled sample passes; a binance feed with nothing listening fails as unreachable', async () => {
    const sample = await runCli(['doctor'], { SIGNALBASE_DATA_DIR: dir });
    const ok = feedLine(sample.stdout);
    expect(ok).toMatch(/^ok\s+feed\s+bundled sample replay: 4 readable files/);

    const port = await freePort();
    const down = await runCli(['doctor', '--json'], { SIGNALBASE_DATA_DIR: dir, FEED: `binance:ws://127.0.0.1:${port}`, SYMBOLS: 'LTC/BTC' });
    expect(down.code).toBe(1);
    const report = JSON.parse(down.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    const feed = report.checks.find((c) => c.name === 'feed')!;
    expect(feed.ok).toBe(false);
    expect(feed.detail).toContain(`http://127.0.0.1:${port} unreachable`);
    expect(feed.detail).toContain(`ws://127.0.0.1:${port}/stream unreachable`);
  }, 120_000);

  it('passes against a reachable exchange (fake exchange on loopback)', async () => {
    const ex = await FakeExchange.start({ series: groundTruth(50, ['LTC/BTC']), timeframe: '5m' });
    try {
      ex.tick();
      const r = await checkFeed({ feed: `binance:${ex.wsBase}`, symbols: ['LTC/BTC'], timeframe: '5m' });
      expect(r, r.detail).toMatchObject({ ok: true });
      expect(r.detail).toContain('answers klines for LTC/BTC');
      // A symbol the exchange does not list: REST answers 400, the check fails.
      const unknown = await checkFeed({ feed: `binance:${ex.wsBase}`, symbols: ['ETH/BTC'], timeframe: '5m' });
      expect(unknown.ok).toBe(false);
      expect(unknown.detail).toContain('HTTP 400');
    } finally {
      await ex.stop();
    }
  });

  it('fails with the reason for a misnamed replay file, unknown synthetic parameter, or binance without SYMBOLS', async () => {
    const bad = join(dir, 'prices.json');
    writeFileSync(bad, '[]');
    const named = await checkFeed({ feed: `replay:${bad}`, symbols: undefined, timeframe: undefined });
    expect(named.ok).toBe(false);
    expect(named.detail).toContain('BASE_QUOTE-TIMEFRAME');

    const synth = await checkFeed({ feed: 'synthetic:seed=1,symbols=2', symbols: undefined, timeframe: undefined });
    expect(synth).toMatchObject({ ok: true });
    expect(synth.detail).toContain('symbols=2');
    const badSynth = await checkFeed({ feed: 'synthetic:wobble=3', symbols: undefined, timeframe: undefined });
    expect(badSynth.ok).toBe(false);
    expect(badSynth.detail).toContain('wobble');

    const noSymbols = await checkFeed({ feed: 'binance:ws://127.0.0.1:9', symbols: undefined, timeframe: undefined });
    expect(noSymbols.ok).toBe(false);
    expect(noSymbols.detail).toContain('SYMBOLS');

    const missing = await checkFeed({ feed: undefined, symbols: ['ETH/BTC'], timeframe: undefined });
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain('ETH/BTC');
  });
});
