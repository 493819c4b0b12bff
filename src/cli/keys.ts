/**
 * `signalbase keys create | list | revoke`: API keys on the configured store (only hashes are
 * stored; the key itself is printed once, at creation).
 *
 * The embedded store belongs to one process: while a daemon holds it these commands stop with one
 * line naming that process and the two ways forward (stop it, or use Postgres where keys can be
 * managed next to a running daemon).
 */
import type { Config } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { ConfigError, StoreError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { openStore, type Store } from '../store/index.ts';
import type { ApiKeyInfo, ApiKeyType } from '../store/types.ts';
import { parseFlags, writeJson, type Command } from './command.ts';

const USAGE = [
  'usage: signalbase keys create --name NAME [--type stream|prediction|admin] [--rate-limit PER_HOUR] [--expires DAYS] [--json]',
  '       signalbase keys list [--json]',
  '       signalbase keys revoke ID [--json]',
].join('\n');

const TYPES: readonly ApiKeyType[] = ['stream', 'prediction', 'admin'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function positiveInt(flag: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new ConfigError(`${flag} ${v} must be a whole number from 1 to ${max}`);
  return n;
}

/** The key list as printed by --json: never the key, never its hash. */
function keyRow(k: ApiKeyInfo) {
  return {
    id: k.id,
    name: k.name,
    type: k.type,
    prefix: k.prefix,
    rate_limit_per_hour: k.rateLimitPerHour,
    is_active: k.isActive,
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    usage_count: k.usageCount,
  };
}

function renderList(keys: ApiKeyInfo[], now: number): string {
  if (keys.length === 0) return 'no API keys yet: signalbase keys create --name NAME\n';
  const head = ['id', 'prefix', 'name', 'type', 'rate/h', 'last_used', 'expires', 'active'];
  const rows = keys.map((k) => [
    k.id,
    k.prefix,
    k.name,
    k.type,
    String(k.rateLimitPerHour),
    k.lastUsedAt === null ? 'never' : iso(k.lastUsedAt)!.replace(/\.\d+Z$/, 'Z'),
    k.expiresAt === null ? 'never' : iso(k.expiresAt)!.replace(/\.\d+Z$/, 'Z'),
    !k.isActive ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'yes',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

/** openStore, with the embedded lock turned into what to do about it. */
async function openStoreForCli(config: Config, log: Logger): Promise<Store> {
  try {
    return await openStore(config, log);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'STORE_LOCKED') {
      const pid = err.context.pid;
      const who = typeof pid === 'number' ? `process ${pid} (a running signalbase daemon?)` : 'another process';
      throw new StoreError(
        'STORE_LOCKED',
        `the embedded store in ${config.dataDir} is held by ${who}: stop it and run this again, ` +
          'or set DATABASE_URL to a Postgres database, where keys can be managed while the daemon runs',
        { context: err.context, cause: err },
      );
    }
    throw err;
  }
}

const command: Command = {
  summary: 'API keys: create (printed once), list, revoke',
  usage: [
    USAGE,
    '',
    'create   a new key, printed once (only its hash is stored). --type defaults to stream (the',
    '         websocket stream and read routes); prediction adds POST /v1/predict; admin everything.',
    '         --rate-limit requests per hour (default 1000); --expires days until it stops working.',
    '         --json: {"id","key","type","expires_at","name","rate_limit_per_hour"}',
    'list     every key: id, prefix, name, type, hourly limit, last use, expiry, active. Never the key.',
    'revoke   deactivates key ID at once; connected stream clients using it are cut at the next ping.',
  ].join('\n'),

  async run(argv, { config, log, out }) {
    const { values, positionals } = parseFlags(
      argv,
      {
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        type: { type: 'string' },
        'rate-limit': { type: 'string' },
        expires: { type: 'string' },
      },
      true,
    );
    const [action, ...rest] = positionals;
    if (!action || !['create', 'list', 'revoke'].includes(action)) {
      throw new ConfigError(action ? `unknown keys action '${action}'; use create, list or revoke` : 'keys needs an action: create, list or revoke (see signalbase keys --help)');
    }
    const createOnly = ['name', 'type', 'rate-limit', 'expires'] as const;
    if (action !== 'create') {
      const stray = createOnly.find((f) => values[f] !== undefined);
      if (stray) throw new ConfigError(`--${stray} is for keys create only`);
    }

    if (action === 'create') {
      if (rest.length > 0) throw new ConfigError(`keys create takes no positional argument (got '${rest[0]}'); name the key with --name`);
      const name = values.name?.trim();
      if (!name) throw new ConfigError('keys create needs --name NAME (who or what the key is for)');
      if (name.length > 100) throw new ConfigError('--name must be at most 100 characters');
      const type = (values.type ?? 'stream') as ApiKeyType;
      if (!TYPES.includes(type)) throw new ConfigError(`--type ${values.type} must be one of ${TYPES.join(', ')}`);
      const rateLimitPerHour = positiveInt('--rate-limit', values['rate-limit'], 10_000_000);
      const expiresInDays = positiveInt('--expires', values.expires, 36_500);

      const store = await openStoreForCli(config, log);
      try {
        const k = await store.createApiKey({ name, type, ...(rateLimitPerHour !== undefined ? { rateLimitPerHour } : {}), expiresInDays: expiresInDays ?? null });
        if (values.json) {
          writeJson(out, { id: k.id, key: k.key, type: k.type, expires_at: iso(k.expiresAt), name: k.name, rate_limit_per_hour: k.rateLimitPerHour });
        } else {
          out.write(
            [
              `key:      ${k.key}`,
              `id:       ${k.id}`,
              `name:     ${k.name}`,
              `type:     ${k.type}`,
              `limit:    ${k.rateLimitPerHour} requests/hour`,
              `expires:  ${k.expiresAt === null ? 'never' : iso(k.expiresAt)}`,
              'This key is shown once and cannot be shown again: only its hash is stored. Keep it now.',
              '',
            ].join('\n'),
          );
        }
        return 0;
      } finally {
        await store.close();
      }
    }

    if (action === 'list') {
      if (rest.length > 0) throw new ConfigError('keys list takes no argument');
      const store = await openStoreForCli(config, log);
      try {
        const keys = await store.listApiKeys();
        if (values.json) writeJson(out, keys.map(keyRow));
        else out.write(renderList(keys, Date.now()));
        return 0;
      } finally {
        await store.close();
      }
    }

    if (rest.length !== 1) throw new ConfigError('keys revoke needs one ID (see signalbase keys list)');
    const id = rest[0]!;
    const store = await openStoreForCli(config, log);
    try {
      const revoked = await store.revokeApiKey(id);
      if (!revoked) {
        const known = (await store.listApiKeys()).find((k) => k.id === id);
        throw new SignalbaseError(
          known ? 'KEY_ALREADY_REVOKED' : 'KEY_NOT_FOUND',
          known ? `key ${id} (${known.name}) is already revoked` : `no key with id ${id}; see signalbase keys list`,
          { context: { id } },
        );
      }
      if (values.json) writeJson(out, { id, revoked: true });
      else out.write(`revoked ${id}: requests with it are refused from now on\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
