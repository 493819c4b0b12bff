/**
 * The zero-configuration stream key: `npm start` in one terminal and `signalbase watch` in a second
 * must work with nothing set up. The embedded store belongs to the daemon while it runs (lock
 * file), so a newcomer cannot run `signalbase keys create` next to it. Instead, on an embedded
 * store that has no usable key at all, the daemon creates one `stream` key (read-only: the stream
 * and GET routes) and writes it to SIGNALBASE_DATA_DIR/stream-key with mode 0600, where
 * `signalbase watch` (no --key, local --url) reads it.
 *
 * Nothing happens on Postgres or Supabase (operators there create keys with `keys create`), nor
 * once any active key exists: a store whose keys an operator manages is left alone.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

export const LOCAL_KEY_FILE = 'stream-key';
export const LOCAL_KEY_NAME = 'local-stream';

export function localKeyPath(dataDir: string): string {
  return join(dataDir, LOCAL_KEY_FILE);
}

/** The key in DATA_DIR/stream-key, or null when there is no such file (or it is empty). */
export function readLocalStreamKey(dataDir: string): string | null {
  try {
    const key = readFileSync(localKeyPath(dataDir), 'utf8').trim();
    return key === '' ? null : key;
  } catch {
    return null;
  }
}

export type LocalKeyOutcome = 'created' | 'kept' | 'not_embedded' | 'operator_keys' | 'failed';

/**
 * Creates the local stream key when the embedded store has no active, unexpired key. Never throws:
 * a failure here costs the newcomer `watch` without --key, not the daemon.
 */
export async function ensureLocalStreamKey(store: Store, config: Config, log: Logger, now = Date.now()): Promise<LocalKeyOutcome> {
  if (config.store.kind !== 'embedded') return 'not_embedded';
  const path = localKeyPath(config.dataDir);
  const l = log.child({ module: 'local-key' });
  try {
    const usable = (await store.listApiKeys()).filter((k) => k.isActive && (k.expiresAt === null || k.expiresAt > now));
    if (usable.length > 0) {
      const existing = readLocalStreamKey(config.dataDir);
      if (existing !== null && (await store.validateApiKey(existing)).isValid) return 'kept';
      return 'operator_keys';
    }
    const created = await store.createApiKey({ name: LOCAL_KEY_NAME, type: 'stream' });
    writeFileSync(path, `${created.key}\n`, { mode: 0o600 });
    chmodSync(path, 0o600); // the file may have existed with a wider mode
    l.info({ path, keyId: created.id }, `created a local stream key in ${path}: signalbase watch picks it up`);
    return 'created';
  } catch (err) {
    l.warn({ err, path }, `could not create the local stream key (${describeError(err)}); create one with signalbase keys create --name NAME while the daemon is stopped`);
    return 'failed';
  }
}
