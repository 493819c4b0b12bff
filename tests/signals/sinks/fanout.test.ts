/**
 * The sink fan-out (src/signals/sinks/fanout.ts): sinks start in order and stop in reverse, every
 * sink gets each tick's events in order, a sink that throws is counted and never costs another
 * sink its events; the registry refuses an unknown kind; event ids are stable.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { registry } from '../../../src/metrics.ts';
import { driftEvent, modelEvent, outcomeEvent, signalEvents } from '../../../src/signals/sinks/events.ts';
import { SinkFanout } from '../../../src/signals/sinks/fanout.ts';
import { createSinks } from '../../../src/signals/sinks/registry.ts';
import type { SignalSink, SinkEvent, SinkStatus } from '../../../src/signals/sinks/sink.ts';
import type { Signal } from '../../../src/domain/signal.ts';

const log = createLogger({ level: 'silent', pretty: false });

class RecordingSink implements SignalSink {
  readonly kind = 'recording';
  readonly got: SinkEvent[][] = [];
  constructor(
    readonly name: string,
    private readonly trace: string[],
    private readonly fail: { publish?: boolean; start?: boolean; stop?: boolean } = {},
  ) {}
  publish(events: readonly SinkEvent[]): void {
    if (this.fail.publish) throw new Error(`${this.name} is broken`);
    this.got.push([...events]);
  }
  async start(): Promise<void> {
    this.trace.push(`start ${this.name}`);
    if (this.fail.start) throw new Error(`${this.name} refuses`);
  }
  async stop(): Promise<void> {
    this.trace.push(`stop ${this.name}`);
    if (this.fail.stop) throw new Error(`${this.name} cannot stop`);
  }
  status(): SinkStatus {
    return { name: this.name, kind: this.kind, state: 'ok', queueDepth: 0, delivered: this.got.flat().length, failed: 0, deadLetters: 0, dropped: 0 };
  }
}

const signal = (id: string): Signal => ({ id }) as Signal;
const events: SinkEvent[] = [...signalEvents([signal('s1'), signal('s2')]), outcomeEvent({ prediction_id: 's0', outcome: 'TP_HIT' })];

async function failures(sink: string): Promise<number> {
  const m = (await registry.getSingleMetric('sink_failed_total')!.get()).values.find((v) => v.labels.sink === sink && v.labels.reason === 'publish_threw');
  return m?.value ?? 0;
}

describe('SinkFanout', () => {
  it('starts the sinks in order, stops them in reverse, once', async () => {
    const trace: string[] = [];
    const fan = new SinkFanout([new RecordingSink('a', trace), new RecordingSink('b', trace), new RecordingSink('c', trace, { stop: true })], log);
    await fan.start();
    expect(fan.stop()).toBe(fan.stop());
    await fan.stop();
    // c's failing stop does not keep b and a running.
    expect(trace).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('a sink that refuses to start stops the ones already started and is named', async () => {
    const trace: string[] = [];
    const fan = new SinkFanout([new RecordingSink('a', trace), new RecordingSink('bad', trace, { start: true }), new RecordingSink('c', trace)], log);
    await expect(fan.start()).rejects.toMatchObject({ code: 'SINK_START_FAILED', context: { sink: 'bad' } });
    expect(trace).toEqual(['start a', 'start bad', 'stop a']);
  });

  it('gives every sink the same events in order; a throwing sink is counted and the next still gets them', async () => {
    const trace: string[] = [];
    const a = new RecordingSink('fan-a', trace);
    const broken = new RecordingSink('fan-broken', trace, { publish: true });
    const c = new RecordingSink('fan-c', trace);
    const fan = new SinkFanout([a, broken, c], log);
    await fan.start();
    const before = await failures('fan-broken');
    fan.publish(events);
    fan.publish([]); // an empty tick reaches nobody
    fan.publish([modelEvent({ event: 'activated', version: 'v1' })]);
    expect(a.got).toEqual([events, [{ type: 'model', id: 'model:v1:activated', data: { event: 'activated', version: 'v1' } }]]);
    expect(c.got).toEqual(a.got);
    expect((await failures('fan-broken')) - before).toBe(events.length + 1);
    expect(fan.status().map((s) => [s.name, s.failed])).toEqual([
      ['fan-a', 0],
      ['fan-broken', 2],
      ['fan-c', 0],
    ]);
    await fan.stop();
    fan.publish(events); // after stop: dropped, not delivered
    expect(a.got).toHaveLength(2);
  });

  it('refuses two sinks with one name', () => {
    expect(() => new SinkFanout([new RecordingSink('x', []), new RecordingSink('x', [])], log)).toThrow(/two sinks are named "x"/);
  });
});

describe('sink events and registry', () => {
  it('gives each event a stable id', () => {
    expect(events.map((e) => e.id)).toEqual(['s1', 's2', 'outcome:s0']);
    expect(modelEvent({ event: 'trained', version: 'v7' }).id).toBe('model:v7:trained');
    expect(driftEvent({ record_id: 'r-9', status: 'ok' }).id).toBe('drift:r-9');
  });

  it('builds sinks by kind and refuses an unknown kind with a ConfigError', () => {
    const trace: string[] = [];
    const kinds = { recording: (spec: { name: string }) => new RecordingSink(spec.name, trace) };
    const deps = { log, clock: { now: () => 0 }, dataDir: '/nonexistent' };
    expect(createSinks([{ name: 'one', kind: 'recording' }], deps, kinds).map((s) => s.name)).toEqual(['one']);
    expect(() => createSinks([{ name: 'two', kind: 'pager' }], deps, kinds)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('known kinds: recording') }));
    expect(() => createSinks([{ name: 'three', kind: 'toString' }], deps, kinds)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
