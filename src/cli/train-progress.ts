/**
 * How `signalbase train` shows a run while it goes: a cli-progress bar on stderr when stderr is a
 * terminal (phases as lines above it), else plain lines: one per phase and epoch, and a batch line
 * at most every `everyMs` (logs in CI stay short).
 */
import { SingleBar } from 'cli-progress';
import type { JobProgress } from '../model/training-job.ts';

export interface ProgressReporter {
  update(p: JobProgress): void;
  /** Stops the bar (idempotent). */
  stop(): void;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressReporter(stream: NodeJS.WriteStream, opts: { everyMs?: number } = {}): ProgressReporter {
  return stream.isTTY ? barReporter(stream) : lineReporter(stream, opts.everyMs ?? 10_000);
}

function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new SingleBar({
    stream,
    format: 'training |{bar}| {percentage}% | epoch {epoch}/{epochs} | batch {batch}/{batches} | loss {loss} | val_loss {valLoss} | ETA {etaText}',
    barsize: 30,
    hideCursor: true,
    fps: 5,
  });
  let started = false;
  let stopped = false;
  let valLoss = '-';
  // Phases before training leave the bar unstarted; the first phase after it ends the bar.
  const stop = () => {
    if (!started || stopped) return;
    bar.stop();
    stopped = true;
  };
  return {
    update(p) {
      if (p.kind === 'phase') {
        if (p.phase !== 'training') stop();
        if (!started || stopped) stream.write(`${p.message}\n`);
        return;
      }
      if (stopped) return;
      const batches = p.kind === 'batch' ? p.batches : undefined;
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(4),
        valLoss,
        etaText: duration(p.etaMs),
      };
      if (p.kind === 'epoch') {
        valLoss = p.valLoss.toFixed(4);
        bar.update({ ...payload, valLoss });
        return;
      }
      const total = p.epochs * batches!;
      const value = (p.epoch - 1) * batches! + p.batch;
      if (!started) {
        started = true;
        bar.start(total, value, { ...payload, batch: p.batch, batches });
      } else {
        bar.setTotal(total);
        bar.update(value, { ...payload, batch: p.batch, batches });
      }
    },
    stop,
  };
}

function lineReporter(stream: NodeJS.WritableStream, everyMs: number): ProgressReporter {
  let last = -Infinity;
  return {
    update(p) {
      if (p.kind === 'phase') {
        stream.write(`${p.message}\n`);
      } else if (p.kind === 'epoch') {
        stream.write(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)} val_loss ${p.valLoss.toFixed(4)}${p.best ? ' (best)' : ''}, eta ${duration(p.etaMs)}\n`);
      } else if (p.elapsedMs - last >= everyMs) {
        last = p.elapsedMs;
        stream.write(`epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}: loss ${p.loss.toFixed(4)}, eta ${duration(p.etaMs)}\n`);
      }
    },
    stop() {},
  };
}
