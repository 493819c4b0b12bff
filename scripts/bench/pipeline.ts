/**
 * Bench part "pipeline" (DESIGN.md "Bench"), on the real daemon (src/daemon.ts) in this process:
 *
 *   tick_p99_ms                  500 synthetic symbols whose candles close at once, one tick a
 *                                second; per tick, from the moment the tick loop's sink takes the
 *                                tick (Daemon onTickArrived) to the moment a websocket subscriber on
 *                                loopback (a worker thread of this process) has received the tick's
 *                                500th signal, both on timeOrigin + performance.now(). p99 (nearest rank) over STEADY_TICKS ticks after
 *                                WARMUP_TICKS; an active model serves every signal, the outbox writes
 *                                everything to the embedded store meanwhile.
 *   tick_p99_ms_during_training  the same, over the ticks that arrive while runTrainingJob (the
 *                                daemon's training path: dataset on this thread; fit, evaluation
 *                                and importance in the training worker) runs on the daemon's
 *                                store. Trainings follow one another until TRAINING_TICKS ticks
 *                                were measured.
 *   tick_p99_ms_failing_sink     the steady ticks again (same symbols, STEADY_TICKS) with one more sink
 *                                after the websocket hub: a webhook (signals/sinks/, its own journaled
 *                                queue) whose receiver on loopback answers every request 500, retried
 *                                once and dead-lettered. Publishing never awaits a receiver, so this
 *                                is tick_p99_ms plus the sink's own work on the same cores.
 *                                `pipeline.ts sinks` runs both arms, without and with the sink, in one process.
 *   replay_candles_per_s         `run --once` over the four bundled 5m files at speed 0 with the
 *                                model active: replayed candles / wall seconds from daemon start to
 *                                `done` (the outbox drained every prediction into the store:
 *                                checked against outbox_applied_total).
 * Standalone: `node --expose-gc --import tsx scripts/bench/pipeline.ts` prints the JSON object;
 * with `replay` (or `ticks`) as argument only that part runs, printing its figures (the tick part
 * takes minutes; the replay alone is what one profiles).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../../src/domain/clock.ts';
import { SAMPLE_DATA_DIR } from '../../src/ingest/feed-spec.ts';
import { DEFAULT_STREAM_OPTIONS } from '../../src/serve/stream-hub.ts';
import { registry } from '../../src/metrics.ts';
import type { Config } from '../../src/config.ts';
import { runTrainingJob } from '../../src/model/training-job.ts';
import { createSinks } from '../../src/signals/sinks/registry.ts';
import type { SignalSink } from '../../src/signals/sinks/sink.ts';
import { parseSinks } from '../../src/signals/sinks/sinks-file.ts';
import { openStore } from '../../src/store/index.ts';
import {
  benchConfig,
  benchDataDir,
  clockMs,
  metricSum,
  note,
  percentile,
  round,
  startBenchDaemon,
  Subscriber,
  syntheticFeed,
  tempDir,
  throwawayPostgres,
  TF_MS,
  trainingSeries,
  until,
  silentLog,
} from './daemon-helpers.ts';

const SYMBOLS = 500;
/** Tick cost is also measured at these counts (steady only): it must grow no faster than linearly. */
const SCALE_SYMBOLS = [50, 5_000] as const;
const SCALE_TICKS = 30;
/** 5 m candles 300x faster: one tick a second. */
const SPEED = 300;
const WARMUP_TICKS = 5;
const STEADY_TICKS = 60;
const TRAINING_TICKS = 60;

export interface PipelineBench {
  symbols: number;
  tick_p99_ms: number;
  tick_p99_ms_during_training: number;
  /** Steady ticks with a webhook sink whose receiver always answers 500 (same symbols, steady ticks). */
  tick_p99_ms_failing_sink: number;
  replay_candles_per_s: number;
  /** 5,000 symbols closing in the same second, steady (no training). */
  tick_p99_ms_5000: number;
  /** Median and p99 tick latency per symbol count (steady): the cost of a tick as the instance grows. */
  tick_ms_by_symbols: Record<string, { p50: number; p99: number }>;
  /** log(p50 at 5,000 / p50 at 50) / log(100): at most 1 when the tick cost grows no faster than linearly. */
  tick_scaling_exponent: number;
  /** The replay on the server Postgres (DATABASE_URL, a throwaway schema); null when it is unreachable. */
  replay_candles_per_s_postgres: number | null;
}

export async function benchPipeline(): Promise<PipelineBench> {
  const ticks = await tickLatencies();
  const byCount: Record<string, { p50: number; p99: number }> = { [SYMBOLS]: { p50: ticks.steadyP50, p99: ticks.steady } };
  for (const n of SCALE_SYMBOLS) {
    const t = await tickLatencies(n, { training: false, steadyTicks: SCALE_TICKS });
    byCount[n] = { p50: t.steadyP50, p99: t.steady };
  }
  const failingSink = await failingSinkTicks();
  const replay = await replayThroughput();
  const replayPg = await replayThroughputPostgres();
  const lo = byCount[SCALE_SYMBOLS[0]]!.p50;
  const hi = byCount[SCALE_SYMBOLS[1]]!.p50;
  return {
    symbols: SYMBOLS,
    tick_p99_ms: ticks.steady,
    tick_p99_ms_during_training: ticks.training,
    tick_p99_ms_failing_sink: failingSink,
    replay_candles_per_s: replay,
    tick_p99_ms_5000: byCount[5_000]!.p99,
    tick_ms_by_symbols: byCount,
    tick_scaling_exponent: round(Math.log(hi / lo) / Math.log(SCALE_SYMBOLS[1] / SCALE_SYMBOLS[0]), 2),
    replay_candles_per_s_postgres: replayPg,
  };
}

async function tickLatencies(
  symbols: number = SYMBOLS,
  opts: { training?: boolean; steadyTicks?: number; sinks?: (dataDir: string) => SignalSink[] } = {},
): Promise<{ steady: number; steadyP50: number; training: number }> {
  const steadyTicks = opts.steadyTicks ?? STEADY_TICKS;
  const { dir, tpl } = await benchDataDir(`pipeline-${symbols}${opts.sinks ? '-sinks' : ''}`);
  const arrived = new Map<number, number>(); // closeTime → clockMs()
  const daemon = await startBenchDaemon(dir, {
    feed: syntheticFeed(symbols, 100_000, SPEED),
    // One subscriber to every symbol receives ~600 bytes a signal, the whole tick at once: the
    // default 1 MiB slow-consumer limit would drop it from about 1,700 symbols on.
    api: { stream: { maxBufferedBytes: Math.max(DEFAULT_STREAM_OPTIONS.maxBufferedBytes, symbols * 2_048) } },
    onTickArrived: (closeTime, at) => arrived.set(closeTime, at + performance.timeOrigin),
    ...(opts.sinks ? { sinks: opts.sinks(dir) } : {}),
  });
  const sub = new Subscriber(symbols);
  const abort = new AbortController();
  let training: Promise<void> | null = null;
  try {
    await sub.connect(daemon.port!, tpl.key);
    const subscribedAt = clockMs();
    // Latency of every fully received tick that arrived after `from`, in arrival order.
    const measured = (from: number, to = Number.POSITIVE_INFINITY) => {
      const out: { at: number; ms: number }[] = [];
      for (const [closeTime, at] of arrived) {
        if (at <= from || at >= to) continue;
        const done = sub.complete.get(closeTime - TF_MS);
        if (done !== undefined) out.push({ at, ms: done - at });
      }
      return out.sort((a, b) => a.at - b.at);
    };

    const mono0 = process.hrtime.bigint();
    await until(`${WARMUP_TICKS + steadyTicks} ticks`, () => measured(subscribedAt).length >= WARMUP_TICKS + steadyTicks, 600_000, 200);
    // The ticks' window on the monotonic clock --cpu-prof stamps its samples with (µs), as the replay's.
    note('pipeline', `ticks window (monotonic µs): ${mono0 / 1000n} ${process.hrtime.bigint() / 1000n}`);
    const steady = measured(subscribedAt).slice(WARMUP_TICKS, WARMUP_TICKS + steadyTicks).map((x) => x.ms);
    note('pipeline', `steady: ${steady.length} ticks of ${symbols} signals, p50 ${percentile(steady, 50).toFixed(1)} ms, p99 ${percentile(steady, 99).toFixed(1)} ms, max ${Math.max(...steady).toFixed(1)} ms`);
    const steadyFigures = { steady: round(percentile(steady, 99), 1), steadyP50: round(percentile(steady, 50), 1) };
    if (opts.training === false) return { ...steadyFigures, training: Number.NaN };

    // Trainings back to back until enough ticks arrived while one ran.
    const windows: { from: number; to: number }[] = [];
    const duringTraining = () => windows.flatMap((w) => measured(w.from, w.to)).map((x) => x.ms);
    const config = benchConfig(dir);
    let runs = 0;
    training = (async () => {
      while (!abort.signal.aborted) {
        const w = { from: clockMs(), to: Number.POSITIVE_INFINITY };
        windows.push(w);
        try {
          const r = await runTrainingJob(
            { store: daemon.store!, config, log: silentLog },
            { candles: trainingSeries(4, 2_000, 100 + runs), seed: 100 + runs, updateWeights: false, hyper: { maxEpochs: 2 }, signal: abort.signal },
          );
          runs++;
          note('pipeline', `training ${r.version} ran ${(r.durationsMs.total / 1000).toFixed(1)}s (dataset ${(r.durationsMs.dataset / 1000).toFixed(1)}s, fit ${(r.durationsMs.training / 1000).toFixed(1)}s, evaluation ${(r.durationsMs.evaluation / 1000).toFixed(1)}s, importance ${(r.durationsMs.importance / 1000).toFixed(1)}s)`);
        } catch (err) {
          if (!abort.signal.aborted) throw err;
        } finally {
          w.to = clockMs();
        }
      }
    })();
    // A training that fails ends the wait at once (its error is the bench's).
    await Promise.race([until(`${TRAINING_TICKS} ticks during training`, () => duringTraining().length >= TRAINING_TICKS, 900_000, 200), training]);
    abort.abort();
    await training;
    training = null;
    const during = duringTraining().slice(0, TRAINING_TICKS);
    note('pipeline', `during training: ${during.length} ticks, p50 ${percentile(during, 50).toFixed(1)} ms, p99 ${percentile(during, 99).toFixed(1)} ms, max ${Math.max(...during).toFixed(1)} ms`);
    return { ...steadyFigures, training: round(percentile(during, 99), 1) };
  } finally {
    abort.abort();
    await training?.catch(() => undefined);
    sub.close();
    await daemon.stop();
  }
}

/** tick_p99_ms_failing_sink: steady ticks with a webhook sink whose receiver answers every request 500. */
async function failingSinkTicks(): Promise<number> {
  let requests = 0;
  const receiver = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(500).end('down'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  let sink: SignalSink | undefined;
  try {
    const t = await tickLatencies(SYMBOLS, {
      training: false,
      sinks: (dataDir) => {
        const spec = { name: 'bench-failing', kind: 'webhook', url, secret: 'bench-failing-sink-secret', events: ['signal'], retry: { base_ms: 5, cap_ms: 20, max_attempts: 2 } };
        [sink] = createSinks(parseSinks({ sinks: [spec] }).sinks, { dataDir, log: silentLog, clock: systemClock });
        return [sink!];
      },
    });
    const st = sink?.status();
    note('pipeline', `failing sink: ${requests} requests answered 500, ${st?.deadLetters ?? 0} events dead-lettered, ${st?.dropped ?? 0} dropped at the queue bound, ${st?.queueDepth ?? 0} still queued at stop`);
    return t.steady;
  } finally {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

/**
 * The same replay on the server Postgres (SIGNALBASE_BENCH_DATABASE_URL, default the test server
 * postgres://postgres@127.0.0.1:5432/test) in a throwaway schema, dropped afterwards; the model the
 * replay serves is trained there first exactly like the template's. null when Postgres is unreachable.
 */
export async function replayThroughputPostgres(): Promise<number | null> {
  const pg = await throwawayPostgres();
  if (!pg) return null;
  try {
    const dir = tempDir('replay-pg'); // the store is Postgres: the directory holds only the outbox journal
    const store = await openStore(pg.config(dir), silentLog, { migrate: true });
    try {
      await runTrainingJob(
        { store, config: pg.config(dir), log: silentLog },
        { candles: trainingSeries(2, 1_500, 7), seed: 1, activate: true, updateWeights: false, hyper: { maxEpochs: 1 }, importanceSamples: 200 },
      );
    } finally {
      await store.close();
    }
    return await replayThroughput({ dir, config: pg.config(dir), label: 'replay (postgres)' });
  } finally {
    await pg.drop();
  }
}

export async function replayThroughput(on?: { dir: string; config: Config; label: string }): Promise<number> {
  const { dir } = on ?? (await benchDataDir('replay'));
  const label = on?.label ?? 'replay';
  const candles0 = await metricSum('candles_ingested_total');
  const signals0 = await metricSum('signals_total');
  const applied0 = await appliedPredictions();
  const t0 = performance.now();
  const mono0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const mainCpu0 = threadCpuMs();
  const elu0 = performance.eventLoopUtilization();
  const daemon = await startBenchDaemon(dir, { feed: `replay:${SAMPLE_DATA_DIR}`, once: true }, on?.config);
  await daemon.done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainCpuUs = (threadCpuMs() - mainCpu0) * 1000;
  const mainActive = performance.eventLoopUtilization(elu0).active;
  // The replay's window on the monotonic clock --cpu-prof stamps its samples with (µs), so a
  // profile of the whole bench process can be cut to the replay alone.
  note('pipeline', `replay window (monotonic µs): ${mono0 / 1000n} ${process.hrtime.bigint() / 1000n}`);
  const candles = (await metricSum('candles_ingested_total')) - candles0;
  const signals = (await metricSum('signals_total')) - signals0;
  const applied = (await appliedPredictions()) - applied0;
  if (applied !== signals) throw new Error(`bench: the replay stored ${applied} of its ${signals} predictions`);
  note('pipeline', `${label}: ${candles} candles, ${signals} signals (all stored) in ${seconds.toFixed(1)}s`);
  // Less dependent on what else the machine runs than the wall figure: CPU of all threads, and the
  // time the main thread's event loop was busy, per candle.
  const allUs = cpu.user + cpu.system;
  note(
    'pipeline',
    `${label} cost per candle: ${(allUs / candles).toFixed(0)} µs CPU (all threads; main thread ${(mainCpuUs / candles).toFixed(0)}, others ${((allUs - mainCpuUs) / candles).toFixed(0)}), main event loop busy ${((mainActive * 1000) / candles).toFixed(0)} µs`,
  );
  return round(candles / seconds, 1);
}

/** CPU time of the calling thread (user + system, ms; 10 ms resolution), from Linux's /proc; NaN elsewhere. */
function threadCpuMs(): number {
  try {
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

async function appliedPredictions(): Promise<number> {
  const m = registry.getSingleMetric('outbox_applied_total');
  if (!m) return 0;
  return (await m.get()).values.filter((v) => v.labels.op === 'insertPredictions').reduce((s, v) => s + v.value, 0);
}

/** Steady tick latencies at each symbol count (`pipeline.ts scale 50 500 5000`). */
async function steadyAt(counts: number[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const n of counts) out[n] = await tickLatencies(n, { training: false, steadyTicks: SCALE_TICKS });
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const part = process.argv[2];
  const result =
    part === 'replay'
      ? { replay_candles_per_s: await replayThroughput() }
      : part === 'replay-pg'
        ? { replay_candles_per_s_postgres: await replayThroughputPostgres() }
        : part === 'scale'
          ? await steadyAt(process.argv.slice(3).map(Number))
      : part === 'sinks'
        ? { tick_p99_ms: (await tickLatencies(SYMBOLS, { training: false })).steady, tick_p99_ms_failing_sink: await failingSinkTicks() }
      : part === 'ticks'
        ? await tickLatencies().then((t) => ({ tick_p99_ms: t.steady, tick_p99_ms_during_training: t.training }))
        : await benchPipeline();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
