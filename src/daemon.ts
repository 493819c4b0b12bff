/**
 * The live daemon: wiring and lifecycle of the pipeline (DESIGN.md "Commands", "Persistence never
 * blocks the signal path"; STYLE.md "Every component has a lifecycle").
 *
 *   feed ──► tick loop ──► signal engine ──► sinks (websocket hub first) ──► outbox ──► store
 *
 * start() brings the components up in order: tfjs backend, store (+ migrations), outbox (replays
 * its journal and waits for it to drain, so the store holds everything the last run computed),
 * indicator weights, the active model, the engine, the feed (or the bundled sample demo), warm-up
 * of every series from stored candles, open signals back into the outcome tracker, the HTTP API
 * and stream, then the feed starts delivering. With the bundled sample and no active model, a
 * first model trains in a worker thread meanwhile and is swapped in when it passes the gate.
 *
 * stop() (SIGTERM / SIGINT) takes them down in reverse, each step in its own try/catch, within a
 * deadline: feed first, the ticks in flight finish, the engine, the API server (stream clients get
 * close code 1001), the outbox flushes (what is left stays journaled for the next start), the store.
 *
 * `done` resolves once the daemon has stopped: under --once when the replay ended and everything
 * was flushed; otherwise after stop(). It rejects (after stopping) on a fatal error: a bug in a
 * tick, a failed feed, a journal the disk refuses. The CLI then exits non-zero.
 */
import { hostname } from 'node:os';
import type { Config } from './config.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { SignalbaseError } from './domain/errors.ts';
import { withDeadline } from './domain/timing.ts';
import { describeError } from './errors.ts';
import { DriftMonitor } from './drift/monitor.ts';
import { weightsFromRecords, type IndicatorWeights } from './features/weights.ts';
import { parseFeedSpec } from './ingest/feed-spec.ts';
import type { CandleSource, SeriesInfo } from './ingest/source.ts';
import type { Logger } from './log.ts';
import { initBackend } from './model/backend.ts';
import { loadActiveModel } from './model/registry.ts';
import type { ApiServer } from './serve/index.ts';
import { SignalEngine } from './signals/engine.ts';
import { alertingTrainer, loadFileSinks } from './signals/sinks/daemon-sinks.ts';
import { startDaemonSinks, stopDaemonSinks, type DaemonSinks } from './daemon/sinks.ts';
import type { SignalSink } from './signals/sinks/sink.ts';
import { openStore, type Store } from './store/index.ts';
import { makePrivate } from './store/private-dir.ts';
import { Outbox } from './store/outbox/index.ts';
import { unflushedError } from './daemon/unflushed.ts';
import { ActiveModelWatch } from './daemon/model-watch.ts';
import { logFeedEnd, logFeedStart, openFeed } from './daemon/feed.ts';
import { accessOptions, syncAccessSettings } from './daemon/access.ts';
import { ensureLocalStreamKey } from './daemon/local-key.ts';
import { BackgroundTrainer, installActiveModel, jobTrainer, ModelSlot, type ModelLoader } from './daemon/models.ts';
import { startRetention } from './daemon/retention.ts';
import { stopStep } from './daemon/stop-step.ts';
import { WeightsWatcher } from './daemon/weights-watch.ts';
import { LeaderElector } from './daemon/leader.ts';
import { RetrainWorker } from './daemon/retrain-worker.ts';
import { driftNotAvailable, type Scheduler } from './daemon/scheduler.ts';
import { retrainNowThenStop, startRetrainQueue } from './daemon/training.ts';
import { FAST_TICKS_PER_BATCH, MAX_PREDICT_BATCH, WINDOW, type DaemonOptions, type DaemonPhase } from './daemon/options.ts';
import { createPipelineServer, createStreamHub, wakeOnEnqueue } from './daemon/server.ts';
import { DEMO_SPEED, DEMO_TAIL } from './daemon/sample.ts';
import { describeShard, ownsSymbol } from './daemon/shard.ts';
import { TickLoop } from './daemon/tick-loop.ts';
import { restoreOpenSignals, warmEngine } from './daemon/warmup.ts';

/** The package's entry (package.json exports["."]): the Daemon and what it takes. */
export type { DaemonOptions, DaemonPhase } from './daemon/options.ts';

export class Daemon {
  readonly done: Promise<void>;
  private phaseNow: DaemonPhase = 'idle';
  /** The root logger, for components (each takes its own child). */
  private readonly root: Logger;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly worker = `${hostname()}:${process.pid}`;
  private settle!: { resolve: () => void; reject: (err: unknown) => void };
  private fatal: unknown = undefined;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private stopRetention: () => void = () => undefined;

  private storeRef: Store | null = null;
  private outbox: Outbox | null = null;
  private modelWatch: ActiveModelWatch | null = null;
  private engineRef: SignalEngine | null = null;
  private weightsWatch: WeightsWatcher | null = null;
  private slot: ModelSlot | null = null;
  private trainer: BackgroundTrainer | null = null;
  private elector: LeaderElector | null = null;
  private retrainWorker: RetrainWorker | null = null;
  private scheduler: Scheduler | null = null;
  private driftMonitor: DriftMonitor | null = null;
  private source: CandleSource | null = null;
  private loop: TickLoop | null = null;
  private server: ApiServer | null = null;
  private sinkSet: DaemonSinks | null = null;
  private fileSinks: SignalSink[] = [];
  private weights: IndicatorWeights | null = null;
  private series: SeriesInfo[] = [];
  private schemaCurrent = false;

  constructor(
    private readonly config: Config,
    log: Logger,
    private readonly opts: DaemonOptions = {},
  ) {
    this.root = log;
    this.log = log.child({ module: 'daemon' });
    this.clock = opts.clock ?? systemClock;
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
  }

  get phase(): DaemonPhase {
    return this.phaseNow;
  }

  /** The bound API port once started. */
  get port(): number | null {
    return this.server?.port ?? null;
  }

  get store(): Store | null {
    return this.storeRef;
  }

  get engine(): SignalEngine | null {
    return this.engineRef;
  }

  /** The drift monitor once started (its check() runs one drift check now). */
  get drift(): DriftMonitor | null {
    return this.driftMonitor;
  }

  /** 'leader' | 'follower' once started; null before. */
  get leadership(): 'leader' | 'follower' | null {
    return this.elector?.status ?? null;
  }

  async start(): Promise<void> {
    if (this.phaseNow !== 'idle') throw new SignalbaseError('DAEMON_STATE', `the daemon cannot start: it is ${this.phaseNow}; create a new one`);
    this.phaseNow = 'starting';
    this.starting = this.startComponents();
    try {
      await this.starting;
    } catch (err) {
      this.log.error({ err }, `start failed: ${describeError(err)}`);
      await this.stop();
      this.phaseNow = 'failed';
      throw err;
    }
    if (this.stopping) return; // a signal or a fatal error arrived while starting
    this.phaseNow = 'running';
    this.afterStart();
  }

  /** Stops everything in reverse order within the deadline. Idempotent. */
  stop(): Promise<void> {
    // A stop during start waits for the start to settle, then takes down whatever came up.
    this.stopping ??= (this.starting ?? Promise.resolve()).catch(() => undefined).then(() => this.stopComponents()).then(() => {
      this.phaseNow = this.fatal === undefined ? 'stopped' : 'failed';
      if (this.fatal === undefined) this.settle.resolve();
      else this.settle.reject(this.fatal);
    });
    return this.stopping;
  }

  private async startComponents(): Promise<void> {
    const { config, log, root } = this;
    const once = this.opts.once ?? false;

    const feedSpec = this.opts.feed ?? config.feed;
    if (feedSpec !== undefined) parseFeedSpec(feedSpec); // a bad FEED fails before anything opens (exit 2)
    // So does a bad SINKS_FILE; its sinks' journals open here, their deliveries start with the fan-out.
    const fileSinks = loadFileSinks(config.sinksFile, { log: root, clock: this.clock, dataDir: config.dataDir });
    this.fileSinks = fileSinks.sinks;
    const backend = await initBackend(config.tfjsBackend, root);
    log.info(`opening the ${config.store.kind} store${config.store.kind === 'embedded' ? ` in ${config.store.dir}` : ''}`);
    makePrivate(config.dataDir); // journal, artifacts, keys: the operator's alone (any store)
    const store = (this.storeRef = await openStore(config, root, { migrate: true }));
    this.schemaCurrent = true;
    await ensureLocalStreamKey(store, config, root); // zero-config `signalbase watch` (embedded store only)
    await syncAccessSettings(store, config, log); // SELF_SERVICE_MAX_RATE_LIMIT, enforced in SQL

    const outbox = (this.outbox = new Outbox({ store, dataDir: config.dataDir, log: root }));
    outbox.start();
    if (outbox.depth() > 0 && !(await outbox.drained(this.opts.journalDrainMs ?? 30_000))) {
      log.warn({ pending: outbox.depth() }, 'store writes journaled by the last run are still pending; continuing (they are applied in the background)');
    }

    // The sinks come up before anything publishes: the model loaded below announces itself.
    const stopDeadlineMs = this.opts.api?.shutdownDeadlineMs ?? Math.min(5_000, (this.opts.stopDeadlineMs ?? 10_000) / 3);
    const hub = createStreamHub({ store, symbols: () => this.series.map((s) => s.symbol), clock: this.clock, log: root, options: accessOptions(config, this.opts.api) });
    this.sinkSet = await startDaemonSinks({ hub, stopDeadlineMs, extra: this.opts.sinks ?? [], file: fileSinks, clock: this.clock, log: root });
    const { sinks, alerts, publishModel, publishDrift } = this.sinkSet;

    this.weights = weightsFromRecords(await store.getWeights());
    const engine = (this.engineRef = new SignalEngine({ barrier: config.barrier, weights: this.weights, clock: this.clock, log: root, windowSize: WINDOW, maxBatch: MAX_PREDICT_BATCH }));
    const applyWeights = (w: IndicatorWeights) => ((this.weights = w), engine.setWeights(w));
    this.weightsWatch = new WeightsWatcher({ store, current: () => this.weights!, apply: applyWeights, log: root.child({ module: 'weights' }), everyMs: config.weightsPollMs });
    const slot = (this.slot = new ModelSlot(engine, root, publishModel));
    const loadModel: ModelLoader = this.opts.modelLoader ?? (() => loadActiveModel(store, config, root));
    this.modelWatch = new ActiveModelWatch({ store, slot, load: loadModel, log: root, pollMs: this.opts.modelPollMs });
    await installActiveModel(slot, loadModel, log);

    const feed = await openFeed({
      feed: feedSpec,
      symbols: this.opts.symbols ?? config.symbols,
      timeframe: this.opts.timeframe ?? config.timeframe,
      once,
      shard: config.shard,
      demoSpeed: this.opts.demoSpeed ?? DEMO_SPEED,
      demoTail: this.opts.demoTail ?? DEMO_TAIL,
      store,
      log: root,
      clock: this.clock,
      credentials: config.feedCredentials,
    });
    const source = (this.source = feed.source);
    const owns = (s: string) => ownsSymbol(config.shard, s);
    this.series = source.series.filter((s) => owns(s.symbol));
    if (config.shard.count > 1) {
      log.info({ shard: describeShard(config.shard), symbols: this.series.map((s) => s.symbol) }, `shard ${describeShard(config.shard)} handles ${this.series.map((s) => s.symbol).join(', ') || 'no symbol yet'}`);
    }

    const warm = await warmEngine(engine, store, this.series);
    if (warm.candles > 0) log.info(warm, `indicators warmed up from ${warm.candles.toLocaleString('en-US')} stored candles of ${warm.series} series`);
    const restored = await restoreOpenSignals(engine.tracker, store, this.series, root.child({ module: 'tracker' }));
    if (restored.resolved.length > 0) {
      outbox.writeGroup([
        ['resolvePredictions', restored.resolved.map((r) => r.outcome)],
        ['insertTrainingSamples', restored.resolved.map((r) => r.sample)],
      ]);
    }

    const drift = (this.driftMonitor = new DriftMonitor({
      store,
      window: config.drift.window,
      minOutcomes: config.drift.minOutcomes,
      cooldownMs: config.drift.cooldownMs,
      clock: this.clock,
      log: root,
      publish: publishDrift,
      onRetrainFiled: () => this.retrainWorker?.wake(),
    }));
    const loop = (this.loop = new TickLoop({
      engine,
      sinks,
      writer: outbox,
      log: root,
      maxTicksPerBatch: feed.fast ? FAST_TICKS_PER_BATCH : 1,
      owns,
      onBatchDone: () => slot.onBatchDone(),
      onFatal: (err) => this.onFatal(err, 'a tick failed'),
      signalLogLevel: feed.sample && !once ? 'info' : 'debug',
      onArrived: this.opts.onTickArrived,
      onTick: drift.observe,
    }));

    const server = (this.server = createPipelineServer({
      store: wakeOnEnqueue(store, () => this.retrainWorker?.wake()),
      hub,
      engine,
      slot,
      outbox,
      source,
      series: this.series,
      weights: () => this.weights!,
      phase: () => this.phaseNow,
      schemaCurrent: () => this.schemaCurrent,
      windowSize: WINDOW,
      clock: this.clock,
      log: root,
      driftCheck: () => drift.check(),
      options: accessOptions(config, { shutdownDeadlineMs: stopDeadlineMs, ...this.opts.api }),
      leadership: () => this.leadership,
      sinks: () => sinks.status(),
    }));
    const port = await server.start(this.opts.port ?? config.port, this.opts.host ?? '0.0.0.0');
    log.info({ port, backend }, `listening on http://localhost:${port} — stream at ws://localhost:${port}/v1/stream`);

    this.trainer = new BackgroundTrainer({
      trainer: alertingTrainer(this.opts.trainer ?? jobTrainer({ store, config, log: root }, feed.sample ? { symbols: feed.sample.symbols, timeframe: feed.sample.timeframe } : {}), () => alerts.manager),
      load: loadModel,
      slot,
      log: root,
      announce: publishModel,
    });
    this.elector = new LeaderElector({ store, instance: this.worker, log: root, retryMs: this.opts.leaderRetryMs });
    const retrainWorker = (this.retrainWorker = new RetrainWorker({
      store,
      trainer: this.trainer,
      worker: this.worker,
      minIntervalDays: config.minRetrainIntervalDays,
      pollMs: this.opts.retrainPollMs,
      clock: this.clock,
      log: root,
    }));
    this.elector.onChange((status) => (status === 'leader' ? retrainWorker.lead() : retrainWorker.stepDown()));
    alerts.attach({ worker: this.worker, elector: this.elector, source, outbox });

    loop.start();
    logFeedStart(log, feed, this.series);
    await source.start(loop.sink);
    void source.finished.then(
      () => void this.onFeedFinished(),
      (err: unknown) => this.onFatal(err, 'the feed failed'),
    );
  }

  /**
   * Background work once the pipeline runs: leadership, the retrain queue and the schedules (under
   * --once only at the end, for --retrain-now), a retrain asked for by flag, the demo's first model.
   */
  private afterStart(): void {
    const { slot, storeRef: store, elector, retrainWorker } = this;
    if (!elector || !retrainWorker || !slot || !store) return;
    const { candleRetentionMs: candleKeepMs, predictionRetentionMs: historyKeepMs } = this.config;
    const newest = () => this.loop?.newestOpenTime ?? Number.NEGATIVE_INFINITY;
    this.stopRetention = startRetention({ store, candleKeepMs, historyKeepMs, history: !this.opts.once, newest, isLeader: () => elector.isLeader, log: this.root });
    if (this.opts.once) return; // a --once run is a replay or a backtest: finishOnce() serves --retrain-now
    this.weightsWatch?.start();
    this.modelWatch?.start(); // a model activated by another instance or `models activate` reaches this one too
    const demo = (this.opts.feed ?? this.config.feed) === undefined; // the bundled sample
    this.scheduler = startRetrainQueue({
      store,
      elector,
      retrainWorker,
      config: this.config,
      driftCheck: this.opts.driftCheck ?? this.driftMonitor?.hook ?? driftNotAvailable(this.root.child({ module: 'drift' })),
      retrainNow: this.opts.retrainNow ?? false,
      firstModel: !this.opts.retrainNow && demo && slot.version === null && this.opts.trainer !== null,
      stillNoModel: () => slot.version === null && !this.stopping,
      log: this.root,
    });
  }

  private async onFeedFinished(): Promise<void> {
    const source = this.source;
    if (!source || source.status !== 'ended' || this.stopping) return;
    await this.loop?.idle();
    logFeedEnd(this.log, this.loop, this.opts.once ?? false, this.config.dataDir);
    if (this.opts.once) void this.finishOnce();
  }

  /** --once: the replay ended. With --retrain-now, train on what is now stored (as the leader), then stop. */
  private async finishOnce(): Promise<void> {
    const { elector, retrainWorker, storeRef: store } = this;
    if (this.opts.retrainNow && elector && retrainWorker && store) {
      await this.loop?.stop();
      if (this.outbox && !(await this.outbox.drained(this.opts.journalDrainMs ?? 30_000))) {
        this.log.warn({ pending: this.outbox.depth() }, 'the store has not taken every replayed candle yet; training on what it has');
      }
      if (!this.stopping) await retrainNowThenStop({ store, elector, retrainWorker, log: this.root.child({ module: 'retrain' }) });
    }
    await this.stop();
  }

  private onFatal(err: unknown, what: string): void {
    if (this.fatal !== undefined) return;
    this.fatal = err;
    this.log.fatal({ err }, `${what}: ${describeError(err)}; stopping`);
    void this.stop();
  }

  private async stopComponents(): Promise<void> {
    if (this.phaseNow === 'running' || this.phaseNow === 'starting') this.phaseNow = 'stopping';
    const deadline = Date.now() + (this.opts.stopDeadlineMs ?? 10_000);
    const left = () => Math.max(0, deadline - Date.now());
    this.stopRetention();
    this.weightsWatch?.stop();
    const step = stopStep(this.log);
    await step('the feed', () => this.source?.stop());
    await step('the tick loop', () => this.loop?.stop());
    await step('the schedules', () => this.scheduler?.stop());
    // The queue worker claims nothing more; a cancelled training stops at its next batch, its request
    // is recorded (and re-filed), and neither may hold the shutdown past the deadline.
    const worker = this.retrainWorker?.stop();
    await step('the training', () => withDeadline(this.trainer?.stop(), Math.min(5_000, left() / 2)));
    await step('the retrain queue', () => withDeadline(worker, Math.min(2_000, left() / 3)));
    await step('the leadership', () => this.elector?.stop());
    await step('the model watch', () => this.modelWatch?.stop());
    await step('the engine', () => this.engineRef?.stop());
    await stopDaemonSinks(this.sinkSet, this.fileSinks, step, left());
    await step('the API server', () => this.server?.stop());
    await step('the outbox', () => this.outbox?.stop(Math.max(500, left())));
    if (this.opts.once && this.fatal === undefined && this.outbox) {
      this.fatal = unflushedError(this.outbox, this.storeRef?.info.location); // --once succeeds only when the store took every write
      if (this.fatal) this.log.fatal({ err: this.fatal }, describeError(this.fatal));
    }
    await step('the store', () => this.storeRef?.close());
    await step('the data directory', () => void makePrivate(this.config.dataDir));
    await step('the models', () => this.slot?.dispose());
    this.log.info('stopped');
  }
}
