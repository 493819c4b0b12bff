import { describe, expect, it } from 'vitest';
import { setServingModel } from '../../src/daemon/metrics.ts';
import { registry } from '../../src/metrics.ts';

describe('model_serving_info', () => {
  it('shows exactly one serving version: rules at start, then each model swapped in', async () => {
    expect(await registry.getSingleMetricAsString('model_serving_info')).toContain('model_serving_info{version="rules"} 1');
    setServingModel('v20261122000000-abcdef');
    const text = await registry.getSingleMetricAsString('model_serving_info');
    expect(text).toContain('model_serving_info{version="v20261122000000-abcdef"} 1');
    expect(text).not.toContain('version="rules"');
  });
});
