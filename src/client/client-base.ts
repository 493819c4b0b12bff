/**
 * What both transports share: the listeners and the subscribe / unsubscribe API, the status and
 * error events, and delivery with its duplicate checks (a signal once by id, an outcome once per
 * signal). A transport extends it with its connection and calls deliverSignal / deliverOutcome /
 * deliverUpdate; it hears about listener changes through symbolsChanged and updatesChanged.
 */
import type { SignalClientError } from './errors.ts';
import { Listeners } from './listeners.ts';
import { RecentIds } from './recent-ids.ts';
import type {
  ClientStatus,
  DriftUpdate,
  ModelUpdate,
  Signal,
  SignalClient,
  SignalOutcome,
  StatusEvent,
  Subscription,
  WeightUpdate,
} from './types.ts';

export type UpdateKind = 'model' | 'weights' | 'drift';

/** 'ltc-btc' → 'LTC/BTC', as the server normalises (so local filtering agrees with it). */
export function normalizeSymbol(symbol: string): string {
  const s = symbol.trim().toUpperCase();
  return s === '*' ? s : s.replace(/[-_]/, '/');
}

export abstract class BaseSignalClient implements SignalClient {
  protected readonly listeners = new Listeners();
  readonly #signals: RecentIds;
  readonly #outcomes: RecentIds;
  #status: ClientStatus = 'connecting';
  #lastId: string | null = null;
  #lastCandleMs: number | null = null;

  constructor(dedupeWindow = 10_000) {
    this.#signals = new RecentIds(dedupeWindow);
    this.#outcomes = new RecentIds(dedupeWindow);
  }

  get status(): ClientStatus {
    return this.#status;
  }

  get lastSignalId(): string | null {
    return this.#lastId;
  }

  get realtimeMode(): 'broadcast' | 'postgres_changes' | null {
    return null;
  }

  /** The latest candle_time among delivered signals (epoch ms), null before the first. */
  protected get lastCandleMs(): number | null {
    return this.#lastCandleMs;
  }

  subscribeToPredictions(symbol: string, cb: (signal: Signal) => void): Subscription {
    const handle = this.listeners.add('predictions', cb, normalizeSymbol(symbol));
    this.symbolsChanged();
    return handle;
  }

  subscribeToOutcomes(symbol: string, cb: (outcome: SignalOutcome) => void): Subscription {
    const handle = this.listeners.add('outcomes', cb, normalizeSymbol(symbol));
    this.symbolsChanged();
    return handle;
  }

  subscribeToModelUpdates(cb: (update: ModelUpdate) => void): Subscription {
    return this.#addUpdate('model', cb);
  }

  subscribeToWeightUpdates(cb: (update: WeightUpdate) => void): Subscription {
    return this.#addUpdate('weights', cb);
  }

  subscribeToDrift(cb: (update: DriftUpdate) => void): Subscription {
    return this.#addUpdate('drift', cb);
  }

  onStatus(cb: (event: StatusEvent) => void): Subscription {
    return this.listeners.add('status', cb);
  }

  onError(cb: (err: SignalClientError) => void): Subscription {
    return this.listeners.add('error', cb);
  }

  unsubscribe(target?: Subscription | string): void {
    this.listeners.remove(typeof target === 'string' ? normalizeSymbol(target) : target);
    this.symbolsChanged();
    this.updatesChanged();
  }

  abstract close(): Promise<void>;

  /** The symbols the listeners want changed (listeners.symbols() says which now). */
  protected abstract symbolsChanged(): void;

  /** A model, weight or drift listener came or went. */
  protected updatesChanged(): void {}

  /** Whether a signal with this id was delivered already (recently). */
  protected seenSignal(id: string): boolean {
    return this.#signals.has(id);
  }

  /** Delivers a signal unless its id was delivered already; true when delivered. */
  protected deliverSignal(signal: Signal): boolean {
    if (!this.#signals.add(signal.id)) return false;
    this.#lastId = signal.id;
    const candle = Date.parse(signal.candle_time);
    if (Number.isFinite(candle) && (this.#lastCandleMs === null || candle > this.#lastCandleMs)) this.#lastCandleMs = candle;
    this.listeners.deliver(this.listeners.for<Signal>('predictions', signal.symbol), signal);
    return true;
  }

  /** Delivers an outcome unless that signal's outcome was delivered already; true when delivered. */
  protected deliverOutcome(outcome: SignalOutcome): boolean {
    if (!this.#outcomes.add(outcome.prediction_id)) return false;
    this.listeners.deliver(this.listeners.for<SignalOutcome>('outcomes', outcome.symbol), outcome);
    return true;
  }

  protected deliverUpdate<T>(kind: UpdateKind, value: T): void {
    this.listeners.deliver(this.listeners.for<T>(kind), value);
  }

  protected emitError(err: SignalClientError): void {
    this.listeners.emit('error', err);
  }

  /** Once closed, only a closing error is still announced (once). */
  protected setStatus(event: StatusEvent): void {
    if (this.#status === 'closed' && (event.status !== 'closed' || !event.error)) return;
    this.#status = event.status;
    this.listeners.emit('status', event);
  }

  #addUpdate<T>(kind: UpdateKind, cb: (update: T) => void): Subscription {
    const handle = this.listeners.add(kind, cb);
    this.updatesChanged();
    return handle;
  }
}
