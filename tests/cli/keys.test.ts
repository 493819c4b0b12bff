/**
 * `signalbase keys create | list | revoke` as a user runs them (child processes) on a real embedded
 * store: create --json carries DESIGN.md's fields (id, key, type, expires_at); the key is printed
 * once and list never shows it nor its hash; revoke makes validate_ml_api_key refuse it; while
 * another process holds the store, the command stops with one line naming that pid.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirFrom, migratedTemplate, openStoreAt, removeDir } from '../daemon/helpers.ts';
import { runCli, runWhileStoreHeld } from '../store/cli-run.ts';

const dirs: string[] = [];
let data: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  data = dataDirFrom(template);
  dirs.push(template, data);
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const env = () => ({ SIGNALBASE_DATA_DIR: data });
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function isValid(key: string): Promise<boolean> {
  const store = await openStoreAt(data);
  try {
    return (await store.validateApiKey(key)).isValid;
  } finally {
    await store.close();
  }
}

describe('signalbase keys', () => {
  let streamKey: { id: string; key: string };
  let adminKey: { id: string; key: string };

  it('create --json prints id, key, type and expires_at; the default type is stream, with no expiry', async () => {
    const r = await runCli(['keys', 'create', '--name', 'dashboard', '--json'], env());
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ type: 'stream', expires_at: null, name: 'dashboard' });
    expect(doc.id).toMatch(UUID);
    expect(typeof doc.key).toBe('string');
    streamKey = { id: doc.id as string, key: doc.key as string };

    const before = Date.now();
    const admin = await runCli(['keys', 'create', '--name', 'ops', '--type', 'admin', '--expires', '3', '--rate-limit', '50'], env());
    expect(admin.code).toBe(0);
    const key = /^key:\s+(\S+)$/m.exec(admin.stdout)![1]!;
    const id = /^id:\s+(\S+)$/m.exec(admin.stdout)![1]!;
    expect(admin.stdout).toMatch(/cannot be shown again/);
    adminKey = { id, key };
    const expires = Date.parse(/^expires:\s+(\S+)$/m.exec(admin.stdout)![1]!);
    // --expires 3: three days from creation (the store's clock; allow the run's duration).
    expect(expires).toBeGreaterThanOrEqual(before + 3 * 86_400_000 - 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3 * 86_400_000 + 60_000);
    expect(await isValid(streamKey.key)).toBe(true);
    expect(await isValid(adminKey.key)).toBe(true);
  }, 120_000);

  it('list never shows a key or its hash: prefix, type, limits, last use, active', async () => {
    const json = await runCli(['keys', 'list', '--json'], env());
    const text = await runCli(['keys', 'list'], env());
    expect(json.code).toBe(0);
    expect(text.code).toBe(0);
    for (const out of [json.stdout, text.stdout]) {
      for (const k of [streamKey, adminKey]) {
        expect(out).not.toContain(k.key);
        expect(out).not.toContain(sha256(k.key));
        expect(out).toContain(k.id);
      }
    }
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const ops = rows.find((r) => r.id === adminKey.id)!;
    expect(ops).toMatchObject({ name: 'ops', type: 'admin', rate_limit_per_hour: 50, is_active: true, prefix: adminKey.key.slice(0, 7) });
    expect(Object.keys(ops).sort()).toEqual(['created_at', 'expires_at', 'id', 'is_active', 'last_used_at', 'name', 'prefix', 'rate_limit_per_hour', 'type', 'usage_count']);
  }, 120_000);

  it('revoke ID: the key no longer validates, the other still does; a second revoke fails', async () => {
    const r = await runCli(['keys', 'revoke', streamKey.id, '--json'], env());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ id: streamKey.id, revoked: true });
    expect(await isValid(streamKey.key)).toBe(false);
    expect(await isValid(adminKey.key)).toBe(true);

    const again = await runCli(['keys', 'revoke', streamKey.id], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already revoked');
    const list = JSON.parse((await runCli(['keys', 'list', '--json'], env())).stdout) as { id: string; is_active: boolean }[];
    expect(list.find((k) => k.id === streamKey.id)!.is_active).toBe(false);
  }, 120_000);

  it('while another process holds the embedded store: exit 1, one line naming its pid and what to do', async () => {
    const line = await runWhileStoreHeld(data, ['keys', 'list'], env());
    expect(line).toContain('DATABASE_URL');
  }, 120_000);

  it('bad usage exits 2 with one line', async () => {
    for (const args of [['keys', 'create', '--name', 'x', '--type', 'root'], ['keys', 'create'], ['keys', 'frobnicate'], ['keys', 'revoke']]) {
      const r = await runCli(args, env());
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  }, 120_000);
});
