/** The access limits' configuration: DESIGN.md's defaults, and an invalid value names its variable. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('access configuration', () => {
  it('defaults: 50 sockets per key, self-service keys at most 10000 an hour, any Origin, no trusted proxy', () => {
    expect(loadConfig({}).access).toEqual({ streamMaxSocketsPerKey: 50, selfServiceMaxRateLimit: 10_000, streamAllowedOrigins: undefined, trustProxy: undefined, metricsAuth: 'none' });
    const set = loadConfig({ STREAM_MAX_SOCKETS_PER_KEY: '3', SELF_SERVICE_MAX_RATE_LIMIT: '100', STREAM_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000', TRUST_PROXY: '127.0.0.1, ::1', METRICS_AUTH: 'admin' });
    expect(set.access).toEqual({ streamMaxSocketsPerKey: 3, selfServiceMaxRateLimit: 100, streamAllowedOrigins: ['https://a.example', 'http://localhost:3000'], trustProxy: ['127.0.0.1', '::1'], metricsAuth: 'admin' });
  });

  it.each([
    ['STREAM_MAX_SOCKETS_PER_KEY', '0'],
    ['STREAM_MAX_SOCKETS_PER_KEY', 'many'],
    ['SELF_SERVICE_MAX_RATE_LIMIT', '-1'],
    ['STREAM_ALLOWED_ORIGINS', 'https://a.example/path'],
    ['STREAM_ALLOWED_ORIGINS', '*'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.0/8'],
    ['METRICS_AUTH', 'yes'],
  ])('%s=%s is a ConfigError naming the variable', (name, value) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.startsWith(name)).toBe(true);
  });
});
