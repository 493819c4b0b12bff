/**
 * The fan-out the daemon publishes to: every sink gets each tick's events, in stream order, in the
 * order the sinks were given (the websocket hub first). A sink's publish() must not throw (sink.ts);
 * when one does anyway, the fan-out catches it, counts it (sink_failed_total{reason="publish_threw"})
 * and goes on to the next sink, so one broken sink never costs another its events or the tick.
 *
 * start() starts the sinks in order; if one refuses, those already started are stopped and the
 * error names the sink. stop() stops them in reverse order, each in its own try/catch; idempotent.
 */
import { SignalbaseError } from '../../domain/errors.ts';
import type { Logger } from '../../log.ts';
import { sinkFailed } from './metrics.ts';
import type { SignalSink, SinkEvent, SinkStatus } from './sink.ts';

export class SinkStartError extends SignalbaseError {
  constructor(sink: string, cause: unknown) {
    super('SINK_START_FAILED', `sink "${sink}" could not start: ${cause instanceof Error ? cause.message : String(cause)}`, {
      context: { sink },
      cause,
    });
  }
}

export class SinkFanout {
  private readonly sinks: readonly SignalSink[];
  private readonly log: Logger;
  private readonly threw = new Map<string, number>();
  private started: SignalSink[] = [];
  private stopping: Promise<void> | null = null;

  constructor(sinks: readonly SignalSink[], log: Logger) {
    const names = new Set<string>();
    for (const s of sinks) {
      if (names.has(s.name)) throw new SignalbaseError('SINK_DUPLICATE', `two sinks are named "${s.name}"; give each a unique name`, { context: { sink: s.name } });
      names.add(s.name);
    }
    this.sinks = [...sinks];
    this.log = log.child({ module: 'sinks' });
  }

  async start(): Promise<void> {
    if (this.stopping) throw new SignalbaseError('SINKS_STOPPED', 'the sink fan-out was stopped; create a new one');
    for (const s of this.sinks) {
      if (this.started.includes(s)) continue;
      try {
        await s.start();
      } catch (err) {
        await this.stopStarted();
        throw new SinkStartError(s.name, err);
      }
      this.started.push(s);
    }
  }

  /** Hands one tick's events to every sink; returns at once (sinks queue, they do not deliver here). */
  publish(events: readonly SinkEvent[]): void {
    if (events.length === 0 || this.stopping) return;
    for (const s of this.sinks) {
      try {
        s.publish(events);
      } catch (err) {
        sinkFailed.inc({ sink: s.name, reason: 'publish_threw' }, events.length);
        const n = (this.threw.get(s.name) ?? 0) + 1;
        this.threw.set(s.name, n);
        // A bug in that sink: loud once, then every 1000th time, so a tick loop cannot flood the log.
        if (n === 1 || n % 1000 === 0) this.log.error({ err, sink: s.name, times: n }, `sink "${s.name}" threw from publish(); its events were dropped`);
      }
    }
  }

  /** One row per sink, in order, for /v1/status and the dashboard. */
  status(): SinkStatus[] {
    return this.sinks.map((s) => {
      const threw = this.threw.get(s.name) ?? 0;
      try {
        const st = s.status();
        return threw > 0 ? { ...st, failed: st.failed + threw } : st;
      } catch (err) {
        return { name: s.name, kind: s.kind, state: 'degraded', queueDepth: 0, delivered: 0, failed: threw, deadLetters: 0, dropped: 0, lastError: String(err) };
      }
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopStarted();
    return this.stopping;
  }

  private async stopStarted(): Promise<void> {
    for (const s of this.started.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        this.log.warn({ err, sink: s.name }, `stopping sink "${s.name}" failed`);
      }
    }
  }
}
