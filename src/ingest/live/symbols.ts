/**
 * Our symbols (`LTC/BTC`) and a venue's spelling of them (`LTCBTC`), both ways. Built from the
 * configured symbol list, so a venue symbol we did not subscribe to maps to nothing.
 */
import { ConfigError } from '../../errors.ts';
import type { LiveVenue } from './venue.ts';

export class SymbolMap {
  private readonly byExchange = new Map<string, string>();

  constructor(
    readonly symbols: readonly string[],
    venue: Pick<LiveVenue, 'exchangeSymbol' | 'title'>,
  ) {
    for (const s of symbols) {
      const ex = venue.exchangeSymbol(s).toUpperCase();
      const other = this.byExchange.get(ex);
      if (other && other !== s) throw new ConfigError(`symbols ${other} and ${s} are both ${ex} on ${venue.title}; list one of them`);
      this.byExchange.set(ex, s);
    }
  }

  /** `LTCBTC` → `LTC/BTC`, or undefined when not subscribed. */
  fromExchange(ex: string): string | undefined {
    return this.byExchange.get(ex.toUpperCase());
  }
}
