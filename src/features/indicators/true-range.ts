/**
 * True range as TA-Lib computes it (TRANGE, and the TRUE_RANGE macro of ADX): the greatest of
 * high - low, |prevClose - high| and |prevClose - low|, compared in that order.
 */
export function trueRange(high: number, low: number, prevClose: number): number {
  let greatest = high - low;
  const up = Math.abs(prevClose - high);
  if (up > greatest) greatest = up;
  const down = Math.abs(prevClose - low);
  if (down > greatest) greatest = down;
  return greatest;
}
