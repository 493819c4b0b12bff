/**
 * The HTTP API and websocket stream of the running daemon: serve/'s server wired to the store (keys,
 * stored signals, retrain queue, dashboard), the live engine (predict, indicators) and the readiness
 * checks.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../domain/clock.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import type { CandleSource, SeriesInfo } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import { createApiServer, StreamHub, storePorts, type ApiServer } from '../serve/index.ts';
import type { ApiOptions } from '../serve/types.ts';
import type { SignalEngine } from '../signals/engine.ts';
import type { Outbox } from '../store/outbox/index.ts';
import type { Store } from '../store/store.ts';
import { PipelineApi } from './api.ts';
import type { ModelSlot } from './models.ts';
import { checkReadiness } from './readiness.ts';
import type { SinkStatus } from '../signals/sinks/sink.ts';
import { statusReader } from './status.ts';

export interface PipelineServerDeps {
  store: Store;
  /** The stream hub the daemon created (createStreamHub), its first sink. */
  hub: StreamHub;
  engine: SignalEngine;
  slot: ModelSlot;
  outbox: Outbox;
  source: CandleSource;
  /** The series this instance handles (after SYMBOLS, TIMEFRAME and SHARD). */
  series: readonly SeriesInfo[];
  weights: () => IndicatorWeights;
  /** The daemon's phase, for readiness; API predictions are logged only while 'running'. */
  phase: () => string;
  schemaCurrent: () => boolean;
  windowSize: number;
  clock: Clock;
  log: Logger;
  options?: Partial<ApiOptions>;
  /** One drift check now (POST /v1/drift/check). */
  driftCheck?: () => Promise<unknown>;
  /** 'leader' | 'follower' once the election started, for GET /v1/status. */
  leadership?: () => string | null;
  /** Each sink's status (SINKS_FILE), for GET /v1/status and the dashboard's health panel. */
  sinks?: () => SinkStatus[];
}

/** The dashboard's static files, shipped in the package beside the server code. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../serve/dashboard/', import.meta.url));

/**
 * lightweight-charts' standalone ES module build (the library and its one dependency in one file);
 * undefined when the package is missing, which costs the dashboard its charts, not the daemon its API.
 */
function chartsModule(log: Logger): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    return join(dirname(pkg), 'dist/lightweight-charts.standalone.production.mjs');
  } catch (err) {
    log.warn({ err }, 'lightweight-charts is not installed: the dashboard at / cannot draw its charts');
    return undefined;
  }
}

/**
 * The websocket stream's hub, made before anything publishes (the model loaded at start announces
 * itself) and served later by createPipelineServer. Resumes read stored signals from `store`.
 */
export function createStreamHub(d: { store: Store; symbols: () => readonly string[]; clock: Clock; log: Logger; options?: Partial<ApiOptions> }): StreamHub {
  return new StreamHub({
    history: storePorts(d.store).signals,
    registry,
    logger: d.log,
    clock: d.clock,
    knownSymbols: d.symbols,
    options: d.options?.stream,
  });
}

export function createPipelineServer(d: PipelineServerDeps): ApiServer {
  const { store, engine, slot, outbox, source } = d;
  const timeframes = new Map(d.series.map((s) => [s.symbol, s.timeframe]));
  const api = new PipelineApi({
    view: {
      series: (symbol) => engine.series(symbol, timeframes.get(symbol)),
      timeframes,
      model: () => slot.model,
      weights: d.weights,
      signal: (state, timeframe) => engine.signalFor(state, timeframe, 'API'),
    },
    writer: () => (d.phase() === 'running' ? outbox : null),
    clock: d.clock,
    windowSize: d.windowSize,
    log: d.log.child({ module: 'api' }),
  });
  return createApiServer({
    ...storePorts(store),
    hub: d.hub,
    predict: (symbol, candles, caller) => api.predict(symbol, candles, caller),
    indicators: (symbol) => api.indicators(symbol),
    driftCheck: d.driftCheck,
    readiness: () =>
      checkReadiness({
        phase: d.phase,
        ping: () => store.ping(),
        schemaCurrent: d.schemaCurrent,
        feed: () => ({ status: source.status, error: source.error }),
        outbox: () => outbox.health(),
      }),
    knownSymbols: () => api.knownSymbols(),
    staticDir: DASHBOARD_DIR,
    dashboardViews: {
      store,
      timeframeOf: (symbol) => timeframes.get(symbol),
      status: statusReader({ phase: d.phase, source, series: d.series, outbox, slot, leadership: d.leadership, sinks: d.sinks }),
      chartsModule: chartsModule(d.log),
    },
    registry,
    logger: d.log,
    clock: d.clock,
    options: d.options,
  });
}
