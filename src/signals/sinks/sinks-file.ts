/**
 * The sinks file (SINKS_FILE, DESIGN.md "Sinks"): JSON or YAML, validated once at start. A bad file
 * is a ConfigError (exit 2) whose message names the sink and the field, e.g.
 *   SINKS_FILE sink "ops-hook" (sinks[0]) field url: must be an http(s) URL
 *
 * Secrets (webhook secrets, bot tokens, MQTT passwords, Discord/Slack webhook URLs, which embed their
 * token) are never logged: describeSink() is what log lines show, and secretsOf() feeds the
 * redactor that scrubs error text before it reaches lastError or a log.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import type { SinkEventType } from './sink.ts';

export const SINK_EVENT_TYPES = ['signal', 'outcome', 'model', 'drift', 'alert'] as const satisfies readonly SinkEventType[];

const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

const mqttUrl = z.string().refine(
  (v) => {
    try {
      return ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be a broker URL like mqtt://127.0.0.1:1883' },
);

const positive = z.number().refine((n) => Number.isFinite(n) && n > 0, { message: 'must be a positive number' });

const filterSchema = z
  .object({
    symbols: z.array(z.string().regex(/^[A-Za-z0-9]+\/[A-Za-z0-9]+$/, { message: 'must be symbols like BTC/USDT' }).transform((s) => s.toUpperCase())).min(1).optional(),
    directions: z.array(z.enum(['BUY', 'SELL', 'HOLD'])).min(1).optional(),
    min_confidence: z.number().min(0).max(1).optional(),
    recommendations: z.array(z.enum(['STRONG_BUY', 'BUY', 'HOLD', 'SELL', 'STRONG_SELL'])).min(1).optional(),
  })
  .strict();

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, { message: 'must be 1-63 letters, digits, _ or - (it names the journal directory and the metric label)' }),
  events: z.array(z.enum(SINK_EVENT_TYPES)).min(1).prefault(['signal']),
  filter: filterSchema.prefault({}),
  /** Deliveries at most `per_second` on average with bursts of `burst`; absent: as fast as the receiver answers. */
  rate_limit: z.object({ per_second: positive.optional(), per_minute: positive.optional(), burst: z.number().int().min(1).optional() }).strict().optional(),
  queue: z
    .object({
      /** Events held (and journaled) at most; beyond it the oldest waiting one is dropped, counted. */
      max_depth: z.number().int().min(1).max(1_000_000).prefault(10_000),
      /** fsync the journal after each tick's events (a power loss then loses none; costs a disk flush per tick). */
      fsync: z.boolean().prefault(false),
    })
    .strict()
    .prefault({}),
  retry: z
    .object({
      /** Attempts per event before it is dead-lettered (retryable failures only; a 4xx dead-letters at once). */
      max_attempts: z.number().int().min(1).max(1000).prefault(20),
      base_ms: z.number().int().min(1).prefault(1_000),
      cap_ms: z.number().int().min(1).prefault(60_000),
      /** An event still undelivered this long after it was published is dead-lettered at its next failure. */
      max_age_ms: z.number().int().min(1).prefault(6 * 3_600_000),
    })
    .strict()
    .prefault({}),
  timeout_ms: z.number().int().min(1).max(600_000).prefault(10_000),
};

const webhook = z.object({ ...common, kind: z.literal('webhook'), url: httpUrl, secret: z.string().min(16, { message: 'must be at least 16 characters (it signs every body)' }), headers: z.record(z.string(), z.string()).optional() }).strict();
const telegram = z
  .object({
    ...common,
    kind: z.literal('telegram'),
    bot_token: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, { message: 'must be a Bot API token like 123456:ABC-DEF…' }),
    chat_id: z.union([z.number().int(), z.string().min(1)]),
    api_base: httpUrl.prefault('https://api.telegram.org'),
    parse_mode: z.enum(['HTML', 'MarkdownV2']).prefault('HTML'),
    message_thread_id: z.number().int().optional(),
    disable_notification: z.boolean().optional(),
  })
  .strict();
const discord = z.object({ ...common, kind: z.literal('discord'), url: httpUrl, username: z.string().min(1).max(80).optional() }).strict();
const slack = z.object({ ...common, kind: z.literal('slack'), url: httpUrl }).strict();
const topicTemplate = z.string().min(1).refine((t) => !/[#+]/.test(t), { message: 'must not contain MQTT wildcards (+ or #)' });
const mqtt = z
  .object({
    ...common,
    kind: z.literal('mqtt'),
    url: mqttUrl,
    username: z.string().optional(),
    password: z.string().optional(),
    client_id: z.string().min(1).optional(),
    /** `hummingbot`: signals go to Hummingbot's ai_livestream controller topic and payload. */
    preset: z.enum(['plain', 'hummingbot']).prefault('plain'),
    /** Topic per event type; {base}, {quote}, {symbol} (BASE_QUOTE) and {timeframe} are filled in. */
    topics: z.object({ signal: topicTemplate.optional(), outcome: topicTemplate.optional(), model: topicTemplate.optional(), drift: topicTemplate.optional(), alert: topicTemplate.optional(), health: topicTemplate.optional() }).strict().prefault({}),
    /** Topic prefix of the hummingbot preset (the controller's `topic` setting). */
    hummingbot_topic: topicTemplate.prefault('hbot/predictions'),
    /** The pair's case in the hummingbot topic: `lower` (what ai_livestream subscribes to) or `upper`. */
    hummingbot_topic_case: z.enum(['lower', 'upper']).prefault('lower'),
  })
  .strict();

const sinkSchema = z.discriminatedUnion('kind', [webhook, telegram, discord, slack, mqtt]);

const alertsSchema = z
  .object({
    /** The feed counts as down after this long not streaming (reconnecting, failed). */
    feed_down_minutes: z.number().min(0).prefault(5),
    /** The outbox counts as stuck after this long unable to write to the store. */
    outbox_stuck_minutes: z.number().min(0).prefault(5),
    /** A dead-letter alert clears once this long passes without a new dead letter. */
    dead_letter_quiet_minutes: z.number().min(0).prefault(15),
    /** How often the conditions above are looked at. */
    check_seconds: z.number().min(0.01).prefault(15),
  })
  .strict()
  .prefault({});

const fileSchema = z.object({ sinks: z.array(z.unknown()).prefault([]), alerts: alertsSchema }).strict();

export type SinkEntry = z.infer<typeof sinkSchema>;
export type SinkKind = SinkEntry['kind'];
/** The kinds the schema knows, in its order: a kind is added to `sinkSchema` and nowhere else here. */
export const SINK_KIND_NAMES: readonly SinkKind[] = sinkSchema.options.map((o) => o.shape.kind.value);
export type AlertsSpec = z.infer<typeof alertsSchema>;
export interface SinksFile {
  sinks: SinkEntry[];
  alerts: AlertsSpec;
}

const fail = (file: string, what: string, message: string) => new ConfigError(`SINKS_FILE ${what}: ${message}`, { variable: 'SINKS_FILE', file });

function describeIssue(issue: z.core.$ZodIssue, offset: readonly PropertyKey[] = []): { field: string; message: string } {
  const path = [...offset, ...issue.path].map(String);
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') {
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    path.push(issue.keys[0]!);
  }
  if (issue.code === 'invalid_union' && path.length === 0) message = `must be one of ${SINK_KIND_NAMES.join(', ')}`;
  return { field: path.length > 0 ? path.join('.') : 'kind', message };
}

/** Validates the parsed document. Exported for tests and for a future `signalbase doctor`. */
export function parseSinks(doc: unknown, file = 'SINKS_FILE'): SinksFile {
  const top = fileSchema.safeParse(doc ?? {});
  if (!top.success) {
    const { field, message } = describeIssue(top.error.issues[0]!);
    throw fail(file, `field ${field}`, message);
  }
  const sinks: SinkEntry[] = [];
  const names = new Set<string>();
  top.data.sinks.forEach((raw, i) => {
    const name = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : undefined;
    const where = name ? `sink "${name}" (sinks[${i}])` : `sinks[${i}]`;
    const r = sinkSchema.safeParse(raw);
    if (!r.success) {
      const { field, message } = describeIssue(r.error.issues[0]!);
      throw fail(file, `${where} field ${field}`, message);
    }
    if (names.has(r.data.name.toLowerCase())) throw fail(file, `${where} field name`, 'is used by another sink (names must be unique, case-insensitive)');
    names.add(r.data.name.toLowerCase());
    sinks.push(r.data);
  });
  return { sinks, alerts: top.data.alerts };
}

/** One entry, validated alone (the registry's factories take entries as read). */
export function parseSinkEntry(raw: unknown): SinkEntry {
  return parseSinks({ sinks: [raw] }).sinks[0]!;
}

/** Reads and validates SINKS_FILE (.json, or YAML for anything else). */
export function loadSinksFile(path: string): SinksFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(path, path, `cannot be read (${(err as Error).message}); set SINKS_FILE to a readable JSON or YAML file`);
  }
  let doc: unknown;
  try {
    doc = path.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw fail(path, path, `is not valid ${path.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  return parseSinks(doc, path);
}

/** The values that must never reach a log line or a status: secrets, tokens, token-bearing URLs. */
export function secretsOf(spec: SinkEntry): string[] {
  switch (spec.kind) {
    case 'webhook':
      return [spec.secret, ...Object.values(spec.headers ?? {}), new URL(spec.url).search];
    case 'telegram':
      return [spec.bot_token];
    case 'discord':
    case 'slack':
      return [spec.url, new URL(spec.url).pathname];
    case 'mqtt':
      return [spec.password ?? '', decodeURIComponent(new URL(spec.url).password)];
  }
}

/** Where a sink delivers, safe to log: the origin only for URLs that embed a token. */
export function describeSink(spec: SinkEntry): { name: string; kind: SinkKind; target: string; events: readonly string[] } {
  const target =
    spec.kind === 'telegram'
      ? `${new URL(spec.api_base).origin} chat ${spec.chat_id}`
      : spec.kind === 'webhook'
        ? new URL(spec.url).origin + new URL(spec.url).pathname
        : spec.kind === 'mqtt'
          ? `${new URL(spec.url).protocol}//${new URL(spec.url).host}`
          : `${new URL(spec.url).origin}/…`;
  return { name: spec.name, kind: spec.kind, target, events: spec.events };
}

/** Replaces every secret of the sink in `text` (error messages carry URLs) with [redacted]. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const list = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join('[redacted]'), text);
}
