/**
 * A plain backtest of the active model over candles it was trained on scores it in-sample: the
 * figures then say how well it remembers, not how it will do. The training job records its windows
 * (metadata `window`: trainStart .. testEnd); this says when the feed overlaps the part the model
 * learned from or was selected on (train and validation), and by how much.
 */
export interface InSampleNote {
  overlapping: boolean;
  /** The model's train + validation window, ISO 8601 (null when the model did not record one). */
  trainWindow: { from: string; to: string } | null;
  message: string | null;
}

export function inSampleNote(extra: Record<string, unknown> | null, period: { from: string; to: string } | null): InSampleNote {
  const w = (extra?.window ?? null) as { trainStart?: unknown; valEnd?: unknown } | null;
  if (!w || typeof w.trainStart !== 'string' || typeof w.valEnd !== 'string') return { overlapping: false, trainWindow: null, message: null };
  const trainWindow = { from: w.trainStart, to: w.valEnd };
  if (!period) return { overlapping: false, trainWindow, message: null };
  const from = Math.max(Date.parse(period.from), Date.parse(trainWindow.from));
  const to = Math.min(Date.parse(period.to), Date.parse(trainWindow.to));
  if (!(from <= to)) return { overlapping: false, trainWindow, message: null };
  return {
    overlapping: true,
    trainWindow,
    message:
      `IN-SAMPLE: the feed overlaps the model's training window (${trainWindow.from} .. ${trainWindow.to}) from ` +
      `${new Date(from).toISOString()} to ${new Date(to).toISOString()}; those figures are not out of sample ` +
      '(use --walk-forward for an out-of-sample backtest)',
  };
}
