/**
 * What a Daemon (src/daemon.ts) can be told beyond the configuration, its phases, and the sizes
 * its pipeline is built with.
 */
import type { Clock } from '../domain/clock.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { ApiOptions } from '../serve/types.ts';
import type { SignalSink } from '../signals/sinks/sink.ts';
import type { ModelLoader, Trainer } from './models.ts';
import type { DriftCheckHook } from './scheduler.ts';

export interface DaemonOptions {
  /** Override FEED (the CLI's --feed). */
  feed?: string;
  symbols?: string[];
  timeframe?: Timeframe;
  /** Stop cleanly when a replay feed ends (replays then run at speed 0 unless the spec says). */
  once?: boolean;
  /** File a forced retrain request (source 'flag') and serve it now. */
  retrainNow?: boolean;
  /** Override PORT (0: any free port). */
  port?: number;
  /** Interface the API listens on. Default 0.0.0.0 (a container's port mapping needs it). */
  host?: string;
  /** Whole-shutdown deadline. Default 10 s. */
  stopDeadlineMs?: number;
  /** Bundled-sample demo pacing (tests speed it up). Defaults DEMO_SPEED, DEMO_TAIL. */
  demoSpeed?: number;
  demoTail?: number;
  /** Trains a model; null turns automatic first training off. Default: runTrainingJob. */
  trainer?: Trainer | null;
  /** Loads the active model. Default: registry.ts loadActiveModel. */
  modelLoader?: ModelLoader;
  /** How long start() waits for the journal of the last run to reach the store. Default 30 s. */
  journalDrainMs?: number;
  /** How often a follower tries to take the leadership. Default leader.ts LEADER_RETRY_MS. */
  leaderRetryMs?: number;
  /** How often the leader polls the retrain queue. Default retrain-worker.ts RETRAIN_POLL_MS. */
  retrainPollMs?: number;
  /** How often every instance checks the store's active model (model-watch.ts). Default 5 s. */
  modelPollMs?: number;
  /** The scheduled drift check (leader only). Default: says "not available yet" at debug. */
  driftCheck?: DriftCheckHook;
  api?: Partial<ApiOptions>;
  /** Sinks after the websocket hub (tests; SINKS_FILE's go through signals/sinks/registry.ts). */
  sinks?: SignalSink[];
  clock?: Clock;
  /** Observes each tick as it reaches the tick loop (closeTime, performance.now()); for the bench. */
  onTickArrived?: (closeTime: number, at: number) => void;
}

export type DaemonPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** T, rows per model window; registry-loaded models must match it. */
export const WINDOW = 60;
/**
 * Windows per predict call. One call costs about the same from 1 to a few hundred windows on wasm
 * (per-op overhead dominates: 66 ms for 256, 92 ms for 512 on this machine), so 500 symbols closing
 * at once take one call instead of two.
 */
export const MAX_PREDICT_BATCH = 512;
/** Ticks per engine call when the feed is as fast as the engine (batching inference across time). */
export const FAST_TICKS_PER_BATCH = 128;
