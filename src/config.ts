/**
 * The one place that reads process.env. Every variable is optional; an invalid value stops the
 * program with a ConfigError (exit code 2) whose one-line message names the variable.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { INDICATOR_COLUMNS, isIndicatorColumn, type IndicatorColumn } from './domain/indicators.ts';
import { TIMEFRAMES, type Timeframe } from './domain/timeframe.ts';
import { ConfigError } from './errors.ts';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());
// prefault, not default: the fallback goes through the same parsing and transforms as a set value.
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess(emptyToUndefined, schema.prefault(fallback as never));

const postgresUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a URL like postgres://user:password@host:5432/database' },
);

const cronExpr = z.string().refine((v) => validateCron(v), { message: 'is not a valid cron expression' });

const positiveNumber = z.coerce.number().refine((n) => Number.isFinite(n) && n > 0, { message: 'must be a positive number' });

const schemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case Postgres identifier (letters, digits, _)' });

const shard = z
  .string()
  .regex(/^\d+\/\d+$/, { message: 'must look like i/n, e.g. 0/2' })
  .transform((v) => {
    const [i, n] = v.split('/').map(Number) as [number, number];
    return { index: i, count: n };
  })
  .refine((s) => s.count >= 1 && s.index < s.count, { message: 'must have 0 <= i < n' });

const features = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every(isIndicatorColumn), {
    message: `must be a comma-separated subset of: ${INDICATOR_COLUMNS.join(', ')}`,
  })
  .refine((list) => new Set(list).size === list.length, { message: 'lists a column twice' })
  .transform((list) => list as IndicatorColumn[]);

const symbols = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean))
  .refine((list) => list.every((s) => /^[A-Z0-9]+\/[A-Z0-9]+$/.test(s)), { message: 'must be symbols like LTC/BTC,XLM/BTC' });

/** Comma-separated origins such as https://app.example.com (scheme, host and port; no path). */
const origins = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), {
    message: 'must be origins like https://app.example.com,http://localhost:3000 (no path, no trailing slash)',
  });

const addresses = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((a) => isIP(a) !== 0), { message: 'must be IP addresses like 127.0.0.1,10.0.0.2 (the reverse proxies in front of the daemon)' });

const envSchema = z.object({
  DATABASE_URL: opt(postgresUrl),
  SUPABASE_URL: opt(z.string().url({ message: 'must be the project URL, e.g. https://xyz.supabase.co' })),
  SUPABASE_SERVICE_ROLE_KEY: opt(z.string().min(20, { message: 'is too short to be a service-role key' })),
  SIGNALBASE_DATA_DIR: withDefault(z.string(), './.signalbase'),
  FEED: opt(z.string().min(1)),
  SYMBOLS: opt(symbols),
  TIMEFRAME: opt(z.enum(TIMEFRAMES as unknown as [Timeframe, ...Timeframe[]])),
  PORT: withDefault(z.coerce.number().int().min(0).max(65535), 8787),
  RETRAIN_CRON: withDefault(cronExpr, '0 3 * * 0'),
  MIN_RETRAIN_INTERVAL_DAYS: withDefault(z.coerce.number().min(0), 7),
  DRIFT_CRON: withDefault(cronExpr, '0 * * * *'),
  DRIFT_WINDOW: withDefault(z.coerce.number().int().min(50).max(100_000), 500),
  DRIFT_MIN_OUTCOMES: withDefault(z.coerce.number().int().min(1).max(100_000), 50),
  DRIFT_COOLDOWN_HOURS: withDefault(z.coerce.number().min(0).max(24 * 365), 24),
  TFJS_BACKEND: withDefault(z.enum(['auto', 'node', 'wasm', 'cpu']), 'auto'),
  INFERENCE_RUNTIME: withDefault(z.enum(['auto', 'onnx', 'tfjs']), 'auto'),
  FEATURES: opt(features),
  SIGNALBASE_SCHEMA: withDefault(schemaName, 'public'),
  SHARD: withDefault(shard, '0/1'),
  LOG_LEVEL: withDefault(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  TP_ATR_MULT: withDefault(positiveNumber, 2.0),
  SL_ATR_MULT: withDefault(positiveNumber, 1.5),
  BARRIER_HORIZON: withDefault(z.coerce.number().int().min(1).max(10_000), 24),
  FEE_PCT: withDefault(z.coerce.number().min(0).max(5), 0.1),
  CANDLE_RETENTION_DAYS: withDefault(z.coerce.number().min(0), 0),
  // 0 keeps everything; otherwise at least a day (the daily rollup is made before rows go).
  // How often the daemon re-reads ml_indicator_weights (a training's or an analyst's edit); 0: never.
  WEIGHTS_POLL_SECONDS: withDefault(z.coerce.number().min(0).max(86_400), 30),
  PREDICTION_RETENTION_DAYS: withDefault(z.coerce.number().refine((n) => n === 0 || n >= 1, 'must be 0 (keep) or at least 1 day'), 0),
  // The daemon's trainings (retrain queue, first model): unset keeps the job's measured JOB_HYPER.
  TRAIN_EPOCHS: opt(z.coerce.number().int().min(1).max(1000)),
  TRAIN_UNITS: opt(z.coerce.number().int().min(1).max(1024)),
  // Access limits (DESIGN.md "Access and integrity", README "Security").
  STREAM_MAX_SOCKETS_PER_KEY: withDefault(z.coerce.number().int().min(1).max(100_000), 50),
  SELF_SERVICE_MAX_RATE_LIMIT: withDefault(z.coerce.number().int().min(1).max(2_147_483_647), 10_000),
  STREAM_ALLOWED_ORIGINS: opt(origins),
  TRUST_PROXY: opt(addresses),
  METRICS_AUTH: withDefault(z.enum(['none', 'key', 'admin']), 'none'),
  // The oanda: feed's v20 personal access token and account id (redacted in logs).
  OANDA_TOKEN: opt(z.string().min(10, { message: 'is too short to be an OANDA v20 token' })),
  OANDA_ACCOUNT: opt(z.string().regex(/^[0-9A-Za-z-]{3,40}$/, { message: 'must be a v20 account id like 101-004-1234567-001' })),
  // Webhooks, chat services, MQTT and alerts (DESIGN.md "Sinks"); unset: only the websocket stream.
  SINKS_FILE: opt(z.string().min(1)),
});

export type Env = z.infer<typeof envSchema>;

/** Every variable the schema knows (.env.example must list each: tests/config/env-example.test.ts). */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];

export type StoreChoice =
  | { kind: 'postgres'; url: string }
  | { kind: 'supabase'; url: string; serviceRoleKey: string }
  | { kind: 'embedded'; dir: string };

/** The variables that are a venue's account credentials: handed to the feeds as feedCredentials, never logged. A venue that needs an account adds its variables to the schema and here. */
const FEED_CREDENTIAL_VARS = ['OANDA_TOKEN', 'OANDA_ACCOUNT'] as const;

export interface Config {
  store: StoreChoice;
  schema: string;
  dataDir: string;
  supabase: { url: string; serviceRoleKey: string } | undefined;
  feed: string | undefined;
  symbols: string[] | undefined;
  timeframe: Timeframe | undefined;
  port: number;
  retrainCron: string;
  minRetrainIntervalDays: number;
  driftCron: string;
  /** Drift checks: recent feature vectors kept, outcomes needed before performance may alarm, hours between drift retrains. */
  drift: { window: number; minOutcomes: number; cooldownMs: number };
  tfjsBackend: 'auto' | 'node' | 'wasm' | 'cpu';
  /** Which runtime serves models: ONNX Runtime when the model has a checked export (auto), or one forced. */
  inferenceRuntime: 'auto' | 'onnx' | 'tfjs';
  features: IndicatorColumn[];
  shard: { index: number; count: number };
  logLevel: Env['LOG_LEVEL'];
  barrier: { tpAtrMult: number; slAtrMult: number; horizon: number; feePct: number };
  /** Stored candles older than this (by open time, behind the newest) are pruned; 0 keeps all. */
  candleRetentionMs: number;
  /** Predictions and samples (by candle, behind the newest), drift records and logs (by age) older than this are pruned; 0 keeps all. */
  predictionRetentionMs: number;
  /** How often ml_indicator_weights is re-read (applied at the next tick); 0 never. */
  weightsPollMs: number;
  /** Over the training job's JOB_HYPER for the daemon's trainings; empty when unset. */
  trainHyper: { maxEpochs?: number; units?: number };
  /** Websocket sockets one key may hold; the highest hourly limit of a self-service key; the stream's Origin allow-list (undefined: any). */
  access: { streamMaxSocketsPerKey: number; selfServiceMaxRateLimit: number; streamAllowedOrigins: string[] | undefined; trustProxy: string[] | undefined; metricsAuth: 'none' | 'key' | 'admin' };
  /**
   * What the live feeds that need an account are given, by variable name (OANDA_TOKEN,
   * OANDA_ACCOUNT); each feed kind reads the keys it declares (ingest/feed-kind.ts). Never logged.
   */
  feedCredentials: Readonly<Record<string, string | undefined>>;
  /** SINKS_FILE, resolved; undefined when unset. */
  sinksFile: string | undefined;
}

/** Parses the environment. Throws ConfigError naming the first invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${name} ${issue.message.replace(/^Invalid input: /, '')}`, { variable: name });
  }
  const e = parsed.data;
  if (Boolean(e.SUPABASE_URL) !== Boolean(e.SUPABASE_SERVICE_ROLE_KEY)) {
    const missing = e.SUPABASE_URL ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL';
    throw new ConfigError(`${missing} is required when ${missing === 'SUPABASE_URL' ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL'} is set`, {
      variable: missing,
    });
  }
  const dataDir = resolve(e.SIGNALBASE_DATA_DIR);
  const supabase =
    e.SUPABASE_URL && e.SUPABASE_SERVICE_ROLE_KEY ? { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY } : undefined;
  const store: StoreChoice = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL }
    : supabase
      ? { kind: 'supabase', ...supabase }
      : { kind: 'embedded', dir: resolve(dataDir, 'pg') };
  return {
    store,
    schema: e.SIGNALBASE_SCHEMA,
    dataDir,
    supabase,
    feed: e.FEED,
    symbols: e.SYMBOLS,
    timeframe: e.TIMEFRAME,
    port: e.PORT,
    retrainCron: e.RETRAIN_CRON,
    minRetrainIntervalDays: e.MIN_RETRAIN_INTERVAL_DAYS,
    driftCron: e.DRIFT_CRON,
    drift: { window: e.DRIFT_WINDOW, minOutcomes: e.DRIFT_MIN_OUTCOMES, cooldownMs: e.DRIFT_COOLDOWN_HOURS * 3_600_000 },
    tfjsBackend: e.TFJS_BACKEND,
    inferenceRuntime: e.INFERENCE_RUNTIME,
    features: e.FEATURES ?? [...INDICATOR_COLUMNS],
    shard: e.SHARD,
    logLevel: e.LOG_LEVEL,
    barrier: { tpAtrMult: e.TP_ATR_MULT, slAtrMult: e.SL_ATR_MULT, horizon: e.BARRIER_HORIZON, feePct: e.FEE_PCT },
    candleRetentionMs: e.CANDLE_RETENTION_DAYS * 86_400_000,
    predictionRetentionMs: e.PREDICTION_RETENTION_DAYS * 86_400_000,
    weightsPollMs: e.WEIGHTS_POLL_SECONDS * 1_000,
    trainHyper: {
      ...(e.TRAIN_EPOCHS !== undefined ? { maxEpochs: e.TRAIN_EPOCHS } : {}),
      ...(e.TRAIN_UNITS !== undefined ? { units: e.TRAIN_UNITS } : {}),
    },
    access: {
      streamMaxSocketsPerKey: e.STREAM_MAX_SOCKETS_PER_KEY,
      selfServiceMaxRateLimit: e.SELF_SERVICE_MAX_RATE_LIMIT,
      streamAllowedOrigins: e.STREAM_ALLOWED_ORIGINS,
      trustProxy: e.TRUST_PROXY,
      metricsAuth: e.METRICS_AUTH,
    },
    feedCredentials: Object.fromEntries(FEED_CREDENTIAL_VARS.map((k) => [k, e[k]])),
    sinksFile: e.SINKS_FILE !== undefined ? resolve(e.SINKS_FILE) : undefined,
  };
}

/** A connection string with the password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
