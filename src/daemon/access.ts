/**
 * The access limits of the configuration (README "Security"), where they take effect: the API
 * server's options (key format, sockets per key, the stream's Origin allow-list, the proxies whose
 * X-Forwarded-For the failure throttle believes) and the store's
 * ml_settings row that create_ml_api_key reads (SELF_SERVICE_MAX_RATE_LIMIT).
 */
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { SIGNALBASE_KEY_PATTERN } from '../serve/auth.ts';
import type { ApiOptions } from '../serve/types.ts';
import type { Store } from '../store/store.ts';

export const SELF_SERVICE_SETTING = 'self_service_max_rate_limit';

/** METRICS_AUTH → the keys GET /metrics asks for: none (the default), any valid key (a stream key will do), an admin key. */
const METRICS_AUTH = { none: null, key: 'any', admin: ['admin'] } as const satisfies Record<Config['access']['metricsAuth'], ApiOptions['metricsAuth']>;

/** API options from the configuration; `over` (tests, the bench) wins, its stream options merged. */
export function accessOptions(config: Config, over: Partial<ApiOptions> = {}): Partial<ApiOptions> {
  return {
    keyPattern: SIGNALBASE_KEY_PATTERN,
    streamAllowedOrigins: config.access.streamAllowedOrigins ?? null,
    trustedProxies: config.access.trustProxy ?? null,
    metricsAuth: METRICS_AUTH[config.access.metricsAuth],
    ...over,
    stream: { maxSocketsPerKey: config.access.streamMaxSocketsPerKey, ...over.stream },
  };
}

/**
 * Writes SELF_SERVICE_MAX_RATE_LIMIT to ml_settings so the database enforces it on keys users
 * create. Never throws: on failure the database keeps the value it has (10000 until first written),
 * and the warning says so.
 */
export async function syncAccessSettings(store: Pick<Store, 'putSetting'>, config: Config, log: Logger): Promise<boolean> {
  try {
    await store.putSetting(SELF_SERVICE_SETTING, config.access.selfServiceMaxRateLimit);
    return true;
  } catch (err) {
    log.warn({ err }, `could not write ${SELF_SERVICE_SETTING} to ml_settings (${describeError(err)}); keys users create keep the cap the database has`);
    return false;
  }
}
