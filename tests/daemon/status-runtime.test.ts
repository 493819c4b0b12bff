/** GET /v1/status says which runtime serves the model (INFERENCE_RUNTIME, onnx/serving.ts). */
import { describe, expect, it } from 'vitest';
import { statusReader } from '../../src/daemon/status.ts';

const base = {
  phase: () => 'running',
  source: { status: 'streaming', error: null },
  series: [],
  outbox: { health: () => ({ depth: 0, state: 'idle', degraded: false, oldestAgeSeconds: 0, lastError: null }) },
} as never as Omit<Parameters<typeof statusReader>[0], 'slot'>;

describe('/v1/status inference_runtime', () => {
  it('names the slot model runtime, and null while the rule consensus serves', async () => {
    const slot = { version: 'v1' as string | null, runtime: 'onnx' as 'onnx' | 'tfjs' | null };
    const read = statusReader({ ...base, slot });
    expect(await read()).toMatchObject({ model_version: 'v1', inference_runtime: 'onnx' });
    slot.runtime = 'tfjs';
    expect((await read()).inference_runtime).toBe('tfjs');
    slot.version = null;
    slot.runtime = null;
    expect(await read()).toMatchObject({ model_version: 'rules', inference_runtime: null });
  });
});
