/**
 * Symbols as clients spell them. The canonical form is BASE/QUOTE (LTC/BTC). In a URL path it may
 * arrive encoded (LTC%2FBTC, decoded by the router), as LTC-BTC or LTC_BTC (file-name style), or as
 * LTCBTC (exchange style), which is resolved against the tracked symbols only when exactly one fits.
 */
const SEPARATED = /^([A-Z0-9]{1,20})[/_-]([A-Z0-9]{1,20})$/;
const COMPACT = /^[A-Z0-9]{2,40}$/;

/** The canonical symbol, or null when `raw` is malformed or a compact form is unknown or ambiguous. */
export function normalizeSymbol(raw: string, known: readonly string[] = []): string | null {
  const s = raw.trim().toUpperCase();
  const m = SEPARATED.exec(s);
  if (m) return `${m[1]}/${m[2]}`;
  if (!COMPACT.test(s)) return null;
  const matches = known.filter((k) => k.replace('/', '').toUpperCase() === s);
  return matches.length === 1 ? matches[0]!.toUpperCase() : null;
}
