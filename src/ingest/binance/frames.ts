/**
 * Binance wire formats, parsed with zod at the edge. Prices and volumes arrive as decimal strings;
 * only decimal notation is accepted ("NaN", hex or an empty string is bad_shape), and the candle
 * rules (validate.ts) judge the numbers, so "1e999" is rejected as not_finite, never coerced.
 *
 * Combined stream frame: {"stream":"ltcbtc@kline_5m","data":{"e":"kline","E":..,"s":"LTCBTC",
 *   "k":{"t":openTime,"T":closeTime,"s":"LTCBTC","i":"5m","o":"..","c":"..","h":"..","l":"..","v":"..","x":true,...}}}
 * Method response: {"result":null,"id":1} or {"error":{"code":2,"msg":".."},"id":1}
 * REST /api/v3/klines row: [openTime,"o","h","l","c","v",closeTime,...]
 */
import { z } from 'zod';
import type { ParsedFrame } from '../live/venue.ts';

/** Binance's decimal strings ("0.01690701"); anything else (hex, "NaN", "") is not a price. */
const decimal = z.union([z.string().max(64).regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/), z.number()]).transform(Number);
const epochMs = z.number().int().nonnegative();

const klineSchema = z.object({
  t: epochMs,
  T: epochMs,
  s: z.string().min(1).max(40),
  i: z.string().min(1).max(8),
  o: decimal,
  c: decimal,
  h: decimal,
  l: decimal,
  v: decimal,
  x: z.boolean(),
});

const klineEventSchema = z.object({ e: z.literal('kline'), k: klineSchema });
const combinedSchema = z.object({ stream: z.string().max(200), data: klineEventSchema });

function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  return issue ? `${issue.path.join('.') || 'frame'}: ${issue.message}` : 'invalid frame';
}

/** A decoded JSON stream frame (not a method response) to a kline, or why it is not one. */
export function parseStreamFrame(value: unknown): ParsedFrame {
  const parsed = combinedSchema.safeParse(value);
  if (!parsed.success) return { kind: 'malformed', message: firstIssue(parsed.error), values: value };
  const k = parsed.data.data.k;
  return {
    kind: 'kline',
    kline: { exchangeSymbol: k.s, interval: k.i, openTime: k.t, closeTime: k.T, open: k.o, high: k.h, low: k.l, close: k.c, volume: k.v, closed: k.x },
  };
}

const responseSchema = z.object({
  id: z.union([z.number(), z.string()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number().optional(), msg: z.string().optional() }).passthrough().optional(),
});
export type MethodResponse = z.infer<typeof responseSchema>;

/** A reply to one of our method frames (SUBSCRIBE), or undefined when `value` is something else. */
export function parseMethodResponse(value: unknown): MethodResponse | undefined {
  if (typeof value !== 'object' || value === null || !('id' in value) || !('result' in value || 'error' in value)) return undefined;
  const parsed = responseSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const restRowSchema = z.tuple([epochMs, decimal, decimal, decimal, decimal, decimal, epochMs]).rest(z.unknown());

/** One REST kline row; REST only serves what it has, so `closed` is decided by the caller's clock. */
export function parseRestRow(row: unknown, exchangeSymbol: string, interval: string): ParsedFrame {
  const parsed = restRowSchema.safeParse(row);
  if (!parsed.success) return { kind: 'malformed', message: `REST kline row ${firstIssue(parsed.error)}`, values: row };
  const [openTime, open, high, low, close, volume, closeTime] = parsed.data;
  return { kind: 'kline', kline: { exchangeSymbol, interval, openTime, closeTime, open, high, low, close, volume, closed: true } };
}
