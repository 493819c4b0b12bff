/** The shapes clients send: HTTP bodies and websocket messages, validated at the edge with zod. */
import { z } from 'zod';
import type { ApiCandle } from './types.ts';

const positive = z.number().finite().positive();
const openTime = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .refine((v) => Number.isFinite(Date.parse(v)), { message: 'must be an ISO 8601 time' })
    .transform((v) => Date.parse(v)),
]);

/** A candle as an object ({open_time|time, open, high, low, close, volume}) or a freqtrade row. */
const candle = z.union([
  z
    .object({
      open_time: openTime.optional(),
      time: openTime.optional(),
      open: positive,
      high: positive,
      low: positive,
      close: positive,
      volume: z.number().finite().nonnegative(),
    })
    .refine((c) => c.open_time !== undefined || c.time !== undefined, { message: 'needs open_time (or time)' })
    .transform((c): ApiCandle => ({
      openTime: (c.open_time ?? c.time)!,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
    })),
  z
    .tuple([openTime, positive, positive, positive, positive, z.number().finite().nonnegative()])
    .transform(([t, o, h, l, c, v]): ApiCandle => ({ openTime: t, open: o, high: h, low: l, close: c, volume: v })),
]);

export const MAX_PREDICT_CANDLES = 5_000;

export const predictBody = z.object({
  symbol: z.string().min(1).max(48),
  candles: z.array(candle).min(1).max(MAX_PREDICT_CANDLES).optional(),
});

export const retrainBody = z
  .object({
    force: z.boolean().optional(),
    reason: z.string().max(500).optional(),
  })
  .strict();

const symbolList = z.array(z.string().min(1).max(48)).max(1_000);

export const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), symbols: symbolList.optional(), since: z.string().min(1).max(64).optional() }),
  z.object({ type: z.literal('unsubscribe'), symbols: symbolList.optional() }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

/** One line naming the first problem, for the error message. */
export function describeIssues(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return 'invalid';
  const where = i.path.length ? i.path.join('.') : 'body';
  return `${where}: ${i.message}`;
}
