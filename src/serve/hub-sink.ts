/**
 * The websocket hub as the first SignalSink (signals/sinks/sink.ts). The hub already never waits
 * for a client (each has its own bounded buffer and is dropped, counted, when it falls behind), so
 * publishing is a synchronous hand-over: a tick's signal events go out as one batch, the other
 * events in between keep their place in the stream.
 */
import type { Signal } from '../domain/signal.ts';
import type { SignalSink, SinkEvent, SinkStatus } from '../signals/sinks/sink.ts';
import type { StreamHub } from './stream-hub.ts';

export class StreamHubSink implements SignalSink {
  readonly name = 'websocket';
  readonly kind = 'websocket';
  private state: SinkStatus['state'] = 'starting';
  private delivered = 0;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly hub: StreamHub,
    /** How long stop() lets clients take their close frame (then they are cut). */
    private readonly stopDeadlineMs = 5_000,
  ) {}

  start(): Promise<void> {
    this.hub.start();
    this.state = 'ok';
    return Promise.resolve();
  }

  publish(events: readonly SinkEvent[]): void {
    let signals: Signal[] = [];
    const flush = () => {
      if (signals.length === 0) return;
      this.hub.publishSignals(signals);
      signals = [];
    };
    for (const e of events) {
      if (e.type === 'signal') {
        signals.push(e.data);
        continue;
      }
      flush();
      if (e.type === 'outcome') this.hub.publishOutcome(e.data);
      else if (e.type === 'model') this.hub.publishModel(e.data);
      else if (e.type === 'drift') this.hub.publishDrift(e.data);
      // 'alert' events are for the operator's sinks; the stream protocol has no alert message.
    }
    flush();
    this.delivered += events.length;
  }

  stop(): Promise<void> {
    this.stopping ??= this.hub.stop(this.stopDeadlineMs).finally(() => {
      this.state = 'stopped';
    });
    return this.stopping;
  }

  status(): SinkStatus {
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      queueDepth: 0,
      delivered: this.delivered,
      failed: 0, // a throw from publish() is counted by the fan-out
      deadLetters: 0,
      dropped: 0,
    };
  }
}
