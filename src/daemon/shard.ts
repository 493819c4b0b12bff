/**
 * SHARD=i/n (DESIGN.md "Scheduling, leadership, scale"): this instance handles only the symbols whose
 * stable hash mod n = i. The hash is FNV-1a (ingest/prng.ts hash32) of the symbol as written in the
 * store ("LTC/BTC"), so every instance, on any machine, agrees on who owns a symbol.
 */
import { hash32 } from '../ingest/prng.ts';

export interface Shard {
  index: number;
  count: number;
}

export function shardOf(symbol: string, count: number): number {
  return hash32(symbol) % count;
}

export function ownsSymbol(shard: Shard, symbol: string): boolean {
  return shard.count <= 1 || shardOf(symbol, shard.count) === shard.index;
}

/** The symbols of `symbols` this shard owns, in their given order. */
export function ownedSymbols(shard: Shard, symbols: readonly string[]): string[] {
  return symbols.filter((s) => ownsSymbol(shard, s));
}

export function describeShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
