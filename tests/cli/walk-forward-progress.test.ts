/**
 * The walk-forward progress lines on stderr: a fold's last line carries its wall and CPU seconds
 * (the process's, every thread) and the load average, so a run on a shared machine can be turned
 * into an estimate for a quiet one. A probe stands in for process.cpuUsage and os.loadavg.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { walkForwardProgress } from '../../src/cli/walk-forward.ts';

describe('walkForwardProgress', () => {
  it("reports each fold's CPU seconds and the run's so far, with the load average", () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    let cpu = 1_000;
    const progress = walkForwardProgress(out, { cpuMs: () => cpu, load: () => [12.34, 10, 8] });
    progress({ fold: 0, folds: 2, stage: 'training' });
    cpu += 41_500;
    progress({ fold: 0, folds: 2, stage: 'testing' });
    cpu += 500;
    progress({ fold: 0, folds: 2, stage: 'done' });
    progress({ fold: 1, folds: 2, stage: 'training' });
    cpu += 30_000;
    progress({ fold: 1, folds: 2, stage: 'done' });
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\[\.{20}\] fold 1\/2 training \(0\.0 min\)$/);
    expect(lines[2]).toMatch(/^\[#{10}\.{10}\] fold 1\/2 done .*: \d+\.\d s wall, 42\.0 s CPU; run so far \d+\.\d s wall, 42\.0 s CPU; load average 12\.3 10\.0 8\.0$/);
    expect(lines[4]).toMatch(/fold 2\/2 done .*: \d+\.\d s wall, 30\.0 s CPU; run so far \d+\.\d s wall, 72\.0 s CPU;/);
  });
});
