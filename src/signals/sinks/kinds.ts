/**
 * The sink kinds of the sinks file, each a Transport behind a QueuedSink (its own journaled queue,
 * retries, rate limit, metrics). The registry (registry.ts) maps `kind` to these factories.
 */
import { ConfigError } from '../../errors.ts';
import { DiscordTransport } from './discord.ts';
import { MqttTransport } from './mqtt.ts';
import { QueuedSink } from './queued-sink.ts';
import type { SinkDeps, SinkFactory } from './registry.ts';
import { describeSink, parseSinkEntry, redactor, secretsOf, type SinkEntry, type SinkKind } from './sinks-file.ts';
import { SlackTransport } from './slack.ts';
import { TelegramTransport } from './telegram.ts';
import type { Transport } from './transport.ts';
import { WebhookTransport } from './webhook.ts';

type SpecOf<K extends SinkKind> = Extract<SinkEntry, { kind: K }>;

const transports: { [K in SinkKind]: (spec: SpecOf<K>, deps: SinkDeps) => Transport } = {
  webhook: (spec) => new WebhookTransport(spec),
  telegram: (spec, deps) => new TelegramTransport(spec, deps.dataDir, deps.log),
  discord: (spec) => new DiscordTransport(spec),
  slack: (spec) => new SlackTransport(spec),
  mqtt: (spec, deps) => new MqttTransport(spec, deps.log.child({ module: 'sink', sink: spec.name })),
};

/** The factory of one kind: validates the entry (naming sink and field), logs it without secrets, builds the sink. */
function factory(kind: SinkKind): SinkFactory {
  return (raw, deps) => {
    const spec = parseSinkEntry(raw);
    if (spec.kind !== kind) throw new ConfigError(`SINKS_FILE sink "${spec.name}": kind ${spec.kind} given to the ${kind} factory`, { sink: spec.name });
    const shown = describeSink(spec);
    deps.log.child({ module: 'sinks' }).info(shown, `sink ${spec.name}: ${spec.kind} → ${shown.target} (${spec.events.join(', ')})`);
    const transport = (transports[kind] as (s: SinkEntry, d: SinkDeps) => Transport)(spec, deps);
    return new QueuedSink({ spec, transport, dataDir: deps.dataDir, log: deps.log, redact: redactor(secretsOf(spec)), now: () => deps.clock.now() });
  };
}

/** kind → factory; registry.ts lists each with one line. */
export const createWebhookSink = factory('webhook');
export const createTelegramSink = factory('telegram');
export const createDiscordSink = factory('discord');
export const createSlackSink = factory('slack');
export const createMqttSink = factory('mqtt');
