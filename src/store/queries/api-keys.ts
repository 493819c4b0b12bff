/**
 * ml_api_keys through the SQL functions: create_ml_api_key() generates the key and returns it once,
 * validate_ml_api_key() hashes what it is given. The key never crosses this module into a table.
 */
import type { ApiKeyInfo, ApiKeyType, ApiKeyValidation, CreatedApiKey, NewApiKey } from '../types.ts';
import { isUuid, numOrNull, strOrNull, toMs, toMsOrNull, type Ctx, type RpcCtx } from './common.ts';

export async function createApiKey({ rpc }: RpcCtx, k: NewApiKey): Promise<CreatedApiKey> {
  const rows = await rpc.rows<{
    id: string;
    api_key: string;
    key_type: string;
    rate_limit_per_hour: number;
    expires_at: Date | string | null;
  }>('create_ml_api_key', {
    p_key_name: k.name,
    p_key_type: k.type,
    p_rate_limit: k.rateLimitPerHour ?? 1000,
    p_expires_days: k.expiresInDays ?? null,
    p_created_by: k.createdBy ?? null,
  });
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

export async function validateApiKey({ rpc }: RpcCtx, key: string): Promise<ApiKeyValidation> {
  const rows = await rpc.rows<Record<string, unknown>>('validate_ml_api_key', { api_key_text: key });
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
export async function revokeApiKey({ rpc }: RpcCtx, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await rpc.value<boolean>('sb_revoke_api_key', { p_id: id })) === true;
}

/** sb_reserve_key_usage: the store's hourly count of a key (serve/key-usage.ts batches over it). */
export async function reserveKeyUsage({ rpc }: RpcCtx, keyId: string, atMs: number, want: number, limit: number): Promise<number> {
  return Number(await rpc.value<number>('sb_reserve_key_usage', { p_key_id: keyId, p_at_ms: atMs, p_want: want, p_limit: limit }));
}

export async function putSetting({ rpc }: RpcCtx, name: string, value: unknown): Promise<void> {
  await rpc.value<void>('sb_put_setting', { p_name: name, p_value: value });
}

export const API_KEY_COLUMNS = 'id,key_name,key_type,rate_limit_per_hour,is_active,created_at,expires_at,last_used_at,usage_count,key_prefix';

export async function listApiKeys({ db, n }: Ctx): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${API_KEY_COLUMNS} FROM ${n.keys} ORDER BY created_at, id`,
  );
  return rows.map(toApiKeyInfo);
}

export function toApiKeyInfo(r: Record<string, unknown>): ApiKeyInfo {
  return {
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
  };
}
