/**
 * Sink kinds: `kind` (SINKS_FILE, DESIGN.md "Sinks") -> the factory that builds one from its entry.
 * A new kind is its own file (its Transport), its entry's schema in sinks-file.ts, and one line
 * here; a kind the schema knows but this table lacks is a type error. The websocket hub is not
 * listed: the daemon always creates it, first (serve/hub-sink.ts).
 */
import type { Clock } from '../../domain/clock.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { DiscordTransport } from './discord.ts';
import { queuedSinkKind } from './kinds.ts';
import { MqttTransport } from './mqtt.ts';
import type { SignalSink, SinkEventType } from './sink.ts';
import type { SinkKind } from './sinks-file.ts';
import { SlackTransport } from './slack.ts';
import { TelegramTransport } from './telegram.ts';
import { WebhookTransport } from './webhook.ts';

/** One entry of SINKS_FILE as read: the common fields, and the kind's own ones unparsed. */
export interface SinkSpec {
  name: string;
  kind: string;
  events?: SinkEventType[];
  [field: string]: unknown;
}

/** What every sink may use: its logger, the clock, and where to journal its queue. */
export interface SinkDeps {
  log: Logger;
  clock: Clock;
  dataDir: string;
}

export type SinkFactory = (spec: SinkSpec, deps: SinkDeps) => SignalSink;

export const SINK_KINDS: Readonly<Record<SinkKind, SinkFactory>> = {
  webhook: queuedSinkKind('webhook', (spec) => new WebhookTransport(spec)),
  telegram: queuedSinkKind('telegram', (spec, deps) => new TelegramTransport(spec, deps.dataDir, deps.log)),
  discord: queuedSinkKind('discord', (spec) => new DiscordTransport(spec)),
  slack: queuedSinkKind('slack', (spec) => new SlackTransport(spec)),
  mqtt: queuedSinkKind('mqtt', (spec, deps) => new MqttTransport(spec, deps.log.child({ module: 'sink', sink: spec.name }))),
};

/** The sinks a SINKS_FILE names, in its order. Throws ConfigError (exit 2) for an unknown kind. */
export function createSinks(specs: readonly SinkSpec[], deps: SinkDeps, kinds: Readonly<Record<string, SinkFactory>> = SINK_KINDS): SignalSink[] {
  return specs.map((spec) => {
    const factory = Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
    if (!factory) {
      const known = Object.keys(kinds);
      throw new ConfigError(`SINKS_FILE: sink "${spec.name}" has kind "${spec.kind}"; known kinds: ${known.length ? known.join(', ') : 'none yet'}`, {
        sink: spec.name,
        kind: spec.kind,
      });
    }
    return factory(spec, deps);
  });
}
