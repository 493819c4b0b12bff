/**
 * The one factory behind every SINKS_FILE kind: the entry is validated (naming sink and field),
 * logged without its secrets, and its kind's Transport is put behind a QueuedSink (its own
 * journaled queue, retries, rate limit, metrics). registry.ts gives each kind its transport in one
 * line: `webhook: queuedSinkKind('webhook', (spec) => new WebhookTransport(spec))`.
 */
import { ConfigError } from '../../errors.ts';
import { QueuedSink } from './queued-sink.ts';
import type { SinkDeps, SinkFactory } from './registry.ts';
import { describeSink, parseSinkEntry, redactor, secretsOf, type SinkEntry, type SinkKind } from './sinks-file.ts';
import type { Transport } from './transport.ts';

export type SpecOf<K extends SinkKind> = Extract<SinkEntry, { kind: K }>;

/** The factory of one kind, given how to build its transport from its validated entry. */
export function queuedSinkKind<K extends SinkKind>(kind: K, transport: (spec: SpecOf<K>, deps: SinkDeps) => Transport): SinkFactory {
  return (raw, deps) => {
    const spec = parseSinkEntry(raw);
    if (spec.kind !== kind) throw new ConfigError(`SINKS_FILE sink "${spec.name}": kind ${spec.kind} given to the ${kind} factory`, { sink: spec.name });
    const shown = describeSink(spec);
    deps.log.child({ module: 'sinks' }).info(shown, `sink ${spec.name}: ${spec.kind} → ${shown.target} (${spec.events.join(', ')})`);
    return new QueuedSink({ spec, transport: transport(spec as SpecOf<K>, deps), dataDir: deps.dataDir, log: deps.log, redact: redactor(secretsOf(spec)), now: () => deps.clock.now() });
  };
}
