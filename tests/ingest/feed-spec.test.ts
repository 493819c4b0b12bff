/** Feed specs (DESIGN.md "Feeds"): the three forms, their errors (exit 2), and the factory. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, exitCodeFor } from '../../src/errors.ts';
import { BinanceSource } from '../../src/ingest/binance/source.ts';
import { credentialsFor } from '../../src/ingest/feed-kind.ts';
import { feedKindOf } from '../../src/ingest/feed-registry.ts';
import { DEFAULT_FEED_SPEC, SAMPLE_DATA_DIR, createSource, parseFeedSpec } from '../../src/ingest/feed-spec.ts';
import { ReplaySource } from '../../src/ingest/replay.ts';
import { SYNTHETIC_DEFAULTS, SyntheticSource } from '../../src/ingest/synthetic.ts';
import { SAMPLE_FILES, samplePath } from './sample.ts';

const log = pino({ level: 'silent' });

function configError(spec: string): ConfigError {
  try {
    parseFeedSpec(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(err)).toBe(2);
    return err as ConfigError;
  }
  throw new Error(`'${spec}' was accepted`);
}

describe('parseFeedSpec', () => {
  it('parses replay files, directories and speed', () => {
    const two = `replay:${samplePath('LTC_BTC-5m.json')},${samplePath('XLM_BTC-5m.json')}?speed=60`;
    expect(parseFeedSpec(two)).toEqual({ kind: 'replay', paths: [samplePath('LTC_BTC-5m.json'), samplePath('XLM_BTC-5m.json')], speed: 60 });
    const dir = parseFeedSpec(`replay:${SAMPLE_DATA_DIR}`);
    expect(dir).toEqual({ kind: 'replay', paths: SAMPLE_FILES.map(samplePath), speed: undefined });
    expect(parseFeedSpec('replay:data/sample/LTC_BTC-5m.json', { cwd: `${SAMPLE_DATA_DIR}/../..` })).toMatchObject({ paths: [samplePath('LTC_BTC-5m.json')] });
  });

  it('parses synthetic parameters with defaults', () => {
    expect(parseFeedSpec('synthetic')).toEqual({ kind: 'synthetic', params: SYNTHETIC_DEFAULTS, timeframeGiven: false, speed: undefined });
    expect(parseFeedSpec('synthetic:seed=9,symbols=50,timeframe=1m,vol=0.01,candles=300,shift_at=200,shift_vol=3,speed=0')).toEqual({
      kind: 'synthetic',
      params: { ...SYNTHETIC_DEFAULTS, seed: 9, symbols: 50, timeframe: '1m', vol: 0.01, candles: 300, shiftAt: 200, shiftVol: 3 },
      timeframeGiven: true,
      speed: 0,
    });
  });

  it('parses binance with an optional REST base', () => {
    expect(parseFeedSpec('binance:ws://127.0.0.1:9000')).toEqual({ kind: 'binance', wsBase: 'ws://127.0.0.1:9000', restBase: undefined });
    expect(parseFeedSpec('binance:wss://stream.binance.com:9443,rest=https://api.binance.com')).toEqual({
      kind: 'binance',
      wsBase: 'wss://stream.binance.com:9443',
      restBase: 'https://api.binance.com',
    });
  });

  it('refuses bad specs with a message saying what is wrong', () => {
    expect(configError('kraken:x').message).toMatch(/unknown feed kind 'kraken'/);
    expect(configError('replay:/nope/LTC_BTC-5m.json').message).toMatch(/does not exist/);
    expect(configError('replay:').message).toMatch(/no file given/);
    expect(configError(`replay:${samplePath('LTC_BTC-5m.json')}?speed=fast`).message).toMatch(/speed=fast must be a number/);
    expect(configError(`replay:${samplePath('LTC_BTC-5m.json')}?speed=-1`).message).toMatch(/speed=-1/);
    expect(configError(`replay:${samplePath('LTC_BTC-5m.json')}?pace=2`).message).toMatch(/unknown replay option/);
    expect(configError(`replay:${samplePath('README.md')}`).message).toMatch(/name must look like/);
    expect(configError('synthetic:seed=1.5').message).toMatch(/seed=1.5 must be an integer/);
    expect(configError('synthetic:vol=0').message).toMatch(/vol=0/);
    expect(configError('synthetic:timeframe=7m').message).toMatch(/timeframe=7m/);
    expect(configError('synthetic:colour=red').message).toMatch(/unknown synthetic parameter 'colour'/);
    expect(configError('binance:http://x').message).toMatch(/ws:\/\/ or wss:\/\//);
    expect(configError('binance:ws://x,rest=ftp://y').message).toMatch(/rest=ftp/);
  });

  it('defaults to the bundled sample replay', () => {
    expect(parseFeedSpec(DEFAULT_FEED_SPEC)).toMatchObject({ kind: 'replay', paths: SAMPLE_FILES.map(samplePath) });
  });
});

describe('createSource', () => {
  it('builds each kind of source', async () => {
    const replay = await createSource(`replay:${SAMPLE_DATA_DIR}`, { log, symbols: ['LTC/BTC', 'XLM/BTC'] });
    expect(replay).toBeInstanceOf(ReplaySource);
    expect(replay.symbols).toEqual(['LTC/BTC', 'XLM/BTC']);
    const synthetic = await createSource('synthetic:symbols=2', { log, timeframe: '1h' });
    expect(synthetic).toBeInstanceOf(SyntheticSource);
    expect(synthetic.timeframe).toBe('1h');
    const binance = await createSource('binance:ws://127.0.0.1:1', { log, symbols: ['LTC/BTC'], timeframe: '1m' });
    expect(binance).toBeInstanceOf(BinanceSource);
    expect((binance as BinanceSource).restBase).toBe('http://127.0.0.1:1');
    expect(binance.series).toEqual([{ symbol: 'LTC/BTC', timeframe: '1m' }]);
  });

  it('refuses what cannot work: binance without symbols, replay without the asked symbol', async () => {
    await expect(createSource('binance:ws://127.0.0.1:1', { log })).rejects.toThrow(/needs symbols/);
    await expect(createSource(`replay:${SAMPLE_DATA_DIR}`, { log, symbols: ['ETH/BTC'] })).rejects.toThrow(/no file for symbol\(s\) ETH\/BTC/);
    await expect(createSource(`replay:${SAMPLE_DATA_DIR}`, { log, timeframe: '1m' })).rejects.toThrow(ConfigError);
  });
});

describe('feed credentials', () => {
  it('hands each kind only the credentials it declares', () => {
    const all = { OANDA_TOKEN: 'v20-token-abcdef', OANDA_ACCOUNT: '101-1', OTHER_VENUE_KEY: 'secret' };
    expect(credentialsFor(feedKindOf(parseFeedSpec('oanda:practice')), all)).toEqual({ OANDA_TOKEN: 'v20-token-abcdef', OANDA_ACCOUNT: '101-1' });
    expect(credentialsFor(feedKindOf(parseFeedSpec('ccxt:binance')), all)).toEqual({});
    expect(credentialsFor(feedKindOf(parseFeedSpec('oanda:practice')), undefined)).toEqual({ OANDA_TOKEN: undefined, OANDA_ACCOUNT: undefined });
  });
});
