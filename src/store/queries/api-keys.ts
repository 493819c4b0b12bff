/**
 * ml_api_keys through the SQL functions: create_ml_api_key() generates the key and returns it once,
 * validate_ml_api_key() hashes what it is given. The key never crosses this module into a table.
 */
import type { ApiKeyInfo, ApiKeyType, ApiKeyValidation, CreatedApiKey, NewApiKey } from '../types.ts';
import { isUuid, numOrNull, strOrNull, toMs, toMsOrNull, type Ctx } from './common.ts';

export async function createApiKey({ db, n }: Ctx, k: NewApiKey): Promise<CreatedApiKey> {
  const { rows } = await db.query<{
    id: string;
    api_key: string;
    key_type: string;
    rate_limit_per_hour: number;
    expires_at: Date | null;
  }>(`SELECT * FROM ${n.fn('create_ml_api_key')}($1, $2, $3, $4, $5)`, [
    k.name,
    k.type,
    k.rateLimitPerHour ?? 1000,
    k.expiresInDays ?? null,
    k.createdBy ?? null,
  ]);
  const r = rows[0]!;
  return {
    id: r.id,
    key: r.api_key,
    name: k.name,
    type: r.key_type as ApiKeyType,
    rateLimitPerHour: r.rate_limit_per_hour,
    expiresAt: toMsOrNull(r.expires_at),
  };
}

export async function validateApiKey({ db, n }: Ctx, key: string): Promise<ApiKeyValidation> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ${n.fn('validate_ml_api_key')}($1)`, [key]);
  const r = rows[0] ?? {};
  return {
    isValid: r.is_valid === true,
    keyId: strOrNull(r.key_id),
    keyName: strOrNull(r.key_name),
    keyType: strOrNull(r.key_type) as ApiKeyType | null,
    rateLimit: numOrNull(r.rate_limit),
    usageCount: numOrNull(r.usage_count),
  };
}

/** True when an active key was revoked now; false for an unknown or already revoked one. */
export async function revokeApiKey({ db, n }: Ctx, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const { rowCount } = await db.query(`UPDATE ${n.keys} SET is_active = false, revoked_at = now() WHERE id = $1 AND is_active`, [id]);
  return rowCount > 0;
}

export async function listApiKeys({ db, n }: Ctx): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, key_name, key_type, rate_limit_per_hour, is_active, created_at, expires_at, last_used_at,
            usage_count, key_prefix
     FROM ${n.keys} ORDER BY created_at, id`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.key_name),
    type: r.key_type as ApiKeyType,
    rateLimitPerHour: Number(r.rate_limit_per_hour),
    isActive: Boolean(r.is_active),
    createdAt: toMs(r.created_at),
    expiresAt: toMsOrNull(r.expires_at),
    lastUsedAt: toMsOrNull(r.last_used_at),
    usageCount: Number(r.usage_count),
    prefix: String(r.key_prefix),
  }));
}
