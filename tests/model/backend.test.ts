import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendSummary, checkBackend, currentBackend, describeBackend, initBackend } from '../../src/model/backend.ts';
import { BackendError } from '../../src/model/errors.ts';
import { registry } from '../../src/metrics.ts';

// @tensorflow/tfjs-node is an optional dependency that is not installed on this machine.
describe('initBackend', () => {
  it('refuses an explicit backend that cannot load, with a typed error', async () => {
    const err = await initBackend('node').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('BACKEND_UNAVAILABLE');
    expect(() => currentBackend()).toThrow(BackendError);
    const check = await checkBackend('node');
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/TFJS_BACKEND=node/);
  });

  it('auto falls back from tfjs-node to wasm, exports it as a metric and describes it', async () => {
    expect(await initBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    const d = describeBackend();
    expect(d).toMatchObject({ preference: 'auto', backend: 'wasm' });
    expect(d.skipped.map((s) => s.backend)).toEqual(['node']);
    expect(backendSummary(d)).toMatch(/^wasm \(tfjs 4\.\d+\.\d+/);
    const gauge = await registry.getSingleMetric('tfjs_backend_info')!.get();
    expect(gauge.values).toEqual([{ value: 1, labels: { backend: 'wasm' } }]);
    // A process has one backend: a later call returns the first choice.
    expect(await initBackend('cpu')).toBe('wasm');
    expect(await checkBackend('auto')).toEqual({ ok: true, detail: backendSummary() });
  });
});
