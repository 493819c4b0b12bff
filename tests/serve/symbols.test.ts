import { describe, expect, it } from 'vitest';
import { normalizeSymbol } from '../../src/serve/symbols.ts';

describe('normalizeSymbol', () => {
  const known = ['LTC/BTC', 'XLM/BTC', 'AB/CD', 'A/BCD'];
  it.each([
    ['LTC/BTC', 'LTC/BTC'],
    ['ltc/btc', 'LTC/BTC'],
    ['LTC-BTC', 'LTC/BTC'],
    ['LTC_BTC', 'LTC/BTC'],
    [' xlm-btc ', 'XLM/BTC'],
    ['LTCBTC', 'LTC/BTC'],
    ['xlmbtc', 'XLM/BTC'],
    ['ABCD', null], // ambiguous: AB/CD or A/BCD
    ['DOGEBTC', null], // not tracked
    ['LTC/BTC/ETH', null],
    ['LTC BTC', null],
    ['', null],
  ])('%j → %j', (raw, want) => {
    expect(normalizeSymbol(raw, known)).toBe(want);
  });
});
