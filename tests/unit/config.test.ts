import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from '../../src/config.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { ConfigError, exitCodeFor } from '../../src/errors.ts';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.store.kind).toBe('embedded');
    expect(c.store.kind === 'embedded' && c.store.dir.endsWith('/.signalbase/pg')).toBe(true);
    expect(c.port).toBe(8787);
    expect(c.retrainCron).toBe('0 3 * * 0');
    expect(c.minRetrainIntervalDays).toBe(7);
    expect(c.driftCron).toBe('0 * * * *');
    expect(c.tfjsBackend).toBe('auto');
    expect(c.features).toEqual([...INDICATOR_COLUMNS]);
    expect(c.schema).toBe('public');
    expect(c.shard).toEqual({ index: 0, count: 1 });
    expect(c.logLevel).toBe('info');
    expect(c.barrier).toEqual({ tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 });
    expect(c.candleRetentionMs).toBe(0);
    expect(loadConfig({ CANDLE_RETENTION_DAYS: '30' }).candleRetentionMs).toBe(30 * 86_400_000);
    expect(c.predictionRetentionMs).toBe(0);
    expect(c.weightsPollMs).toBe(30_000);
    expect(loadConfig({ PREDICTION_RETENTION_DAYS: '90' }).predictionRetentionMs).toBe(90 * 86_400_000);
    expect(() => loadConfig({ PREDICTION_RETENTION_DAYS: '0.5' })).toThrow(/PREDICTION_RETENTION_DAYS/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ' }).port).toBe(8787);
  });

  it('chooses Postgres over Supabase over embedded', () => {
    const key = 'x'.repeat(40);
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', SUPABASE_URL: 'https://a.supabase.co', SUPABASE_SERVICE_ROLE_KEY: key }).store.kind).toBe('postgres');
    expect(loadConfig({ SUPABASE_URL: 'https://a.supabase.co', SUPABASE_SERVICE_ROLE_KEY: key }).store.kind).toBe('supabase');
  });

  it.each([
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['DATABASE_URL', 'not a url'],
    ['PORT', '70000'],
    ['PORT', 'eighty'],
    ['RETRAIN_CRON', 'every sunday'],
    ['DRIFT_CRON', '* * *'],
    ['MIN_RETRAIN_INTERVAL_DAYS', '-1'],
    ['TFJS_BACKEND', 'gpu'],
    ['FEATURES', 'rsi_value,not_a_feature'],
    ['FEATURES', 'rsi_value,rsi_value'],
    ['SIGNALBASE_SCHEMA', 'Robert"); DROP TABLE'],
    ['SHARD', '2/2'],
    ['SHARD', 'half'],
    ['LOG_LEVEL', 'loud'],
    ['SYMBOLS', 'LTCBTC'],
    ['TIMEFRAME', '7m'],
    ['BARRIER_HORIZON', '0'],
    ['TP_ATR_MULT', '-2'],
    ['CANDLE_RETENTION_DAYS', '-1'],
  ])('rejects %s=%j with exit code 2 and a one-line message naming it', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message.startsWith(name)).toBe(true);
    expect(err.message).not.toContain('\n');
    expect(err.context.variable).toBe(name);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('requires both Supabase variables together', () => {
    expect(configError({ SUPABASE_URL: 'https://a.supabase.co' }).message).toMatch(/^SUPABASE_SERVICE_ROLE_KEY is required/);
  });

  it('parses a feature subset, SHARD and SYMBOLS', () => {
    const c = loadConfig({ FEATURES: 'rsi_value, macd_line', SHARD: '1/3', SYMBOLS: 'ltc/btc,XLM/BTC' });
    expect(c.features).toEqual(['rsi_value', 'macd_line']);
    expect(c.shard).toEqual({ index: 1, count: 3 });
    expect(c.symbols).toEqual(['LTC/BTC', 'XLM/BTC']);
  });
});

describe('redactUrl', () => {
  it('masks the password and keeps the host', () => {
    const r = redactUrl('postgres://admin:s3cret@db.example:6543/prod');
    expect(r).not.toContain('s3cret');
    expect(r).toContain('db.example:6543');
  });
});
