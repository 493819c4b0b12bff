/**
 * `since` resume: replay what a client missed, then hand it to live delivery, with no gap and no
 * duplicate. The race between catch-up and live publication is the whole difficulty; this is how
 * it is closed.
 *
 * What the algorithm relies on:
 *  (I1) StreamHub.publishSignals is synchronous, so nothing is published between two awaits here:
 *       every decision taken in one synchronous block sees a frozen ring.
 *  (I2) The ring holds every published signal from its head onward, in stream order (eviction only
 *       removes the smallest cursor): a signal >= the ring's head is in the ring.
 *  (I3) From the moment a client is `catching_up`, every signal published for it is also held in
 *       client.pending (bounded; overflow drops the client), whether or not the ring keeps it.
 *  (I4) Signals are published before they are persisted (outbox): the store may lag the ring.
 *
 * `pos` is the client's position: everything <= pos has been delivered (or was not for it).
 *  1. The hub marks the client catching_up before anything async, so (I3) holds from then on.
 *  2. `since` resolves to pos: a signal id (ring, else store) → its cursor; an ISO time → {time}.
 *  3. Store phase, while the ring does not cover pos (pos < ring head): read a page of stored rows
 *     after pos. For each row, synchronously after the read, compare with the ring's CURRENT head:
 *     a row >= head ends the phase (the ring has it and all after it, I2); a row < head is sent
 *     and pos advances. Held signals between pos and the row are sent first, in order: the outbox
 *     may store a later signal before an earlier one, and the earlier one (published during the
 *     catch-up, already evicted) is then only in pending. Everything sent is > pos, so nothing twice.
 *  4. Gap check when the store phase ends: a signal evicted from the ring with cursor > pos that is
 *     not held in pending is in neither place: the outbox lagged more than the ring covers (I4).
 *     Re-read the store a few times (the outbox may catch up), then say RESUME_GAP to the client
 *     and count it, rather than pretend. Best effort: only the newest eviction per symbol is kept.
 *  5. Memory phase: the remainder is ring.after(pos) ∪ pending signals after pos, sorted by
 *     compareCursors, each id once (pending matters: a signal published during the catch-up may
 *     already be evicted from the ring and not yet stored). Send it a page at a time, waiting for
 *     the socket to flush in between (so a long replay never trips the slow-consumer bound). If the
 *     ring's head passed pos during a wait, go back to 3 for what was evicted meanwhile.
 *  6. Switch, in one synchronous block (I1), once the remainder fits in a page: send it, then the
 *     held non-signal events; empty pending; state := live. publishSignals now sends directly.
 *  No duplicate: each phase sends only cursors > pos and advances pos; the switch dedups by id.
 *  No gap: at the switch every signal > pos is in the ring (I2) or in pending (I3), or was in a
 *  store page, except what step 4 reports.
 *  Known limit: a signal published late, behind a cursor a resuming client already passed, reaches
 *  live clients but is not replayed to that resume.
 */
import { compareCursors, cursorOf, type PredictionCursor } from '../domain/prediction.ts';
import { toSignal } from '../domain/signal.ts';
import { sleep } from '../domain/timing.ts';
import { isAfter, type RingEntry, type SignalRing, type StreamPosition } from './signal-ring.ts';
import type { StreamClient } from './stream-client.ts';
import type { SignalHistory } from './types.ts';

export interface CatchUpContext {
  history: SignalHistory;
  ring: SignalRing;
  pageSize: number;
  gapRetries: number;
  gapRetryMs: number;
  /** The newest cursor evicted from the ring, per symbol. */
  evicted: ReadonlyMap<string, PredictionCursor>;
  onGap(client: StreamClient): void;
  onStoreError(client: StreamClient, err: unknown): void;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** `since` as a position, or null when it names no known signal. Store failures propagate. */
export async function resolveSince(ctx: CatchUpContext, since: string): Promise<StreamPosition | null> {
  if (ISO_TIME.test(since)) {
    const t = Date.parse(since);
    if (Number.isFinite(t)) return { time: t };
  }
  const inRing = ctx.ring.get(since);
  if (inRing) return { cursor: inRing.cursor };
  const stored = await ctx.history.get(since);
  return stored ? { cursor: cursorOf(stored) } : null;
}

/**
 * Steps 2–6 for a client the hub just marked catching_up at generation `gen`: resolve `since`,
 * then catch up. An unknown `since` (or a store failure resolving it) is reported to the client,
 * which then continues live with what was published since it subscribed.
 */
export async function resume(ctx: CatchUpContext, client: StreamClient, since: string, gen: number): Promise<void> {
  const stale = () => client.generation !== gen || client.closing;
  let pos: StreamPosition | null;
  try {
    pos = await resolveSince(ctx, since);
  } catch (err) {
    if (stale()) return;
    ctx.onStoreError(client, err);
    switchToLive(client, null);
    return;
  }
  if (stale()) return;
  if (pos === null) {
    client.sendError('UNKNOWN_SINCE', `since ${JSON.stringify(since)} is neither a known signal id nor an ISO 8601 time; continuing live`);
    switchToLive(client, null);
    return;
  }
  await catchUp(ctx, client, pos, gen);
}

/**
 * Runs steps 3–6 for a client already marked catching_up at generation `gen`. Returns when the
 * client is live, or early when it closed or a newer subscribe superseded this one.
 */
export async function catchUp(ctx: CatchUpContext, client: StreamClient, start: StreamPosition, gen: number): Promise<void> {
  let pos = start;
  let storeDone = false;
  let retries = 0;
  const stale = () => client.generation !== gen || client.closing;

  while (!stale()) {
    const head = ctx.ring.first();
    const ringCovers = head !== undefined && !isAfter(head.cursor, pos);

    if (!ringCovers && !storeDone) {
      // Step 3: a page from the store.
      let rows;
      try {
        rows = await ctx.history.readAfter({
          ...('cursor' in pos ? { after: pos.cursor } : { afterTime: pos.time }),
          symbols: client.filter.storeSymbols(),
          limit: ctx.pageSize,
        });
      } catch (err) {
        if (stale()) return;
        ctx.onStoreError(client, err);
        storeDone = true;
        continue;
      }
      if (stale()) return;
      let reachedRing = false;
      const held = heldAfter(client, pos);
      let hi = 0;
      for (const row of rows) {
        const c = cursorOf(row);
        const h = ctx.ring.first();
        if (h && compareCursors(c, h.cursor) >= 0) {
          reachedRing = true;
          break;
        }
        for (; hi < held.length && compareCursors(held[hi]!.cursor, c) < 0; hi++) {
          const e = held[hi]!;
          if (!isAfter(e.cursor, pos)) continue; // already sent as a stored row
          pos = { cursor: e.cursor };
          if (client.filter.matches(e.cursor.symbol) && !client.send(e.frame, 'signal')) return;
        }
        if (!isAfter(c, pos)) continue;
        pos = { cursor: c };
        if (row.predictionType !== 'SIGNAL' || !client.filter.matches(row.symbol)) continue;
        if (!client.send(JSON.stringify({ type: 'signal', data: toSignal(row) }), 'signal')) return;
      }
      pruneHeld(client, pos);
      if (!reachedRing && rows.length >= ctx.pageSize) {
        await client.flushed();
        continue;
      }
      // Step 4: the store phase is over; can we prove nothing fell between store and ring?
      if (gapSuspected(ctx, client, pos)) {
        if (retries < ctx.gapRetries) {
          retries += 1;
          await sleep(ctx.gapRetryMs);
          continue;
        }
        ctx.onGap(client);
      }
      storeDone = true;
      continue;
    }

    // Steps 5 and 6: memory (ring ∪ pending).
    const rest = remainder(ctx, client, pos);
    if (rest.length > ctx.pageSize) {
      const page = rest.slice(0, ctx.pageSize);
      for (const e of page) {
        if (client.filter.matches(e.cursor.symbol) && !client.send(e.frame, 'signal')) return;
      }
      pos = { cursor: page[page.length - 1]!.cursor };
      pruneHeld(client, pos);
      // If the ring's head passes pos during the wait, step 3 reads what was evicted meanwhile.
      storeDone = false;
      await client.flushed();
      continue;
    }
    switchToLive(client, rest);
    return;
  }
}

/** Forgets held signals at or before pos (delivered), so they no longer count against the bound. */
function pruneHeld(client: StreamClient, pos: StreamPosition): void {
  client.pending = client.pending.filter((ev) => ev.kind === 'event' || isAfter(ev.entry.cursor, pos));
}

/** The client's held signals after pos, in stream order. */
function heldAfter(client: StreamClient, pos: StreamPosition): RingEntry[] {
  const out: RingEntry[] = [];
  for (const ev of client.pending) if (ev.kind === 'signal' && isAfter(ev.entry.cursor, pos)) out.push(ev.entry);
  return out.sort((a, b) => compareCursors(a.cursor, b.cursor));
}

/** Signals after pos held in memory: the ring's and the client's pending, in order, each id once. */
function remainder(ctx: CatchUpContext, client: StreamClient, pos: StreamPosition): RingEntry[] {
  const byId = new Map<string, RingEntry>();
  for (const e of ctx.ring.after(pos)) byId.set(e.cursor.id, e);
  let extra = false;
  for (const ev of client.pending) {
    if (ev.kind === 'signal' && !byId.has(ev.entry.cursor.id) && isAfter(ev.entry.cursor, pos)) {
      byId.set(ev.entry.cursor.id, ev.entry);
      extra = true;
    }
  }
  const out = [...byId.values()];
  if (extra) out.sort((a, b) => compareCursors(a.cursor, b.cursor));
  return out;
}

/**
 * Step 6, synchronous: sends `signals` (sorted, deduplicated; null = every held signal), then the
 * held non-signal events, and makes the client live.
 */
export function switchToLive(client: StreamClient, signals: readonly RingEntry[] | null): void {
  const held = client.pending;
  client.pending = [];
  client.state = 'live';
  const toSend = signals ?? held.flatMap((ev) => (ev.kind === 'signal' ? [ev.entry] : []));
  for (const e of toSend) {
    if (client.filter.matches(e.cursor.symbol) && !client.send(e.frame, 'signal')) return;
  }
  for (const ev of held) {
    if (ev.kind === 'event' && (ev.symbol === null || client.filter.matches(ev.symbol)) && !client.send(ev.frame, ev.type)) return;
  }
}

/** An evicted signal after pos, for this client, that it will not get from pending. */
function gapSuspected(ctx: CatchUpContext, client: StreamClient, pos: StreamPosition): boolean {
  if (ctx.evicted.size === 0) return false;
  const held = new Set<string>();
  for (const ev of client.pending) if (ev.kind === 'signal') held.add(ev.entry.cursor.id);
  for (const [symbol, c] of ctx.evicted) {
    if (client.filter.matches(symbol) && isAfter(c, pos) && !held.has(c.id)) return true;
  }
  return false;
}
