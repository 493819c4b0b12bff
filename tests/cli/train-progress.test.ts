/**
 * The progress display of `signalbase train`: a bar on a terminal (phases before training must not
 * keep it from starting), plain lines elsewhere.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/train-progress.ts';
import type { JobProgress } from '../../src/model/training-job.ts';

function stream(tty: boolean): { s: NodeJS.WriteStream; text: () => string } {
  const p = new PassThrough();
  let text = '';
  p.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(p, { isTTY: tty, columns: 160, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { s: p as unknown as NodeJS.WriteStream, text: () => text };
}

const run: JobProgress[] = [
  { kind: 'phase', phase: 'dataset', message: 'building the training set' },
  { kind: 'phase', phase: 'training', message: 'training on 10 windows' },
  { kind: 'batch', epoch: 1, epochs: 2, batch: 1, batches: 2, loss: 1.1, elapsedMs: 10, etaMs: 30 },
  { kind: 'batch', epoch: 1, epochs: 2, batch: 2, batches: 2, loss: 1.05, elapsedMs: 20, etaMs: 20 },
  { kind: 'epoch', epoch: 1, epochs: 2, loss: 1.07, valLoss: 1.08, best: true, elapsedMs: 20, etaMs: 20 },
  { kind: 'batch', epoch: 2, epochs: 2, batch: 1, batches: 2, loss: 1.0, elapsedMs: 30, etaMs: 10 },
  { kind: 'batch', epoch: 2, epochs: 2, batch: 2, batches: 2, loss: 0.99, elapsedMs: 40, etaMs: 0 },
  { kind: 'epoch', epoch: 2, epochs: 2, loss: 0.995, valLoss: 1.01, best: true, elapsedMs: 40, etaMs: 0 },
  { kind: 'phase', phase: 'evaluation', message: 'evaluating' },
];

describe('train progress', () => {
  it('draws a bar on a terminal, from the first batch to 100 %, with phases as lines around it', () => {
    const { s, text } = stream(true);
    const r = progressReporter(s);
    for (const p of run) r.update(p);
    r.stop();
    const out = text();
    expect(out).toContain('building the training set\n');
    expect(out).toMatch(/training \|[=-]+\| 25% \| epoch 1\/2 \| batch 1\/2 \| loss 1\.1000/);
    // Redraws are throttled; the last one shows the finished epoch's mean loss and validation loss.
    expect(out).toMatch(/training \|=+\| 100% \| epoch 2\/2 \| batch 2\/2 \| loss 0\.9950 \| val_loss 1\.0100/);
    expect(out.indexOf('evaluating')).toBeGreaterThan(out.lastIndexOf('100%'));
  });

  it('writes plain lines elsewhere: phases, epochs, and a batch line at most every interval', () => {
    const { s, text } = stream(false);
    const r = progressReporter(s, { everyMs: 25 });
    for (const p of run) r.update(p);
    expect(text().split('\n').filter(Boolean)).toEqual([
      'building the training set',
      'training on 10 windows',
      'epoch 1/2 batch 1/2: loss 1.1000, eta 0s',
      'epoch 1/2: loss 1.0700 val_loss 1.0800 (best), eta 0s',
      'epoch 2/2 batch 2/2: loss 0.9900, eta 0s', // 30 ms after the last batch line; the one at 30 ms came 20 ms after it
      'epoch 2/2: loss 0.9950 val_loss 1.0100 (best), eta 0s',
      'evaluating',
    ]);
  });
});
