/**
 * `signalbase doctor`: one line per check, exit 0 only if every check passes. Checks run in
 * registration order and share one DoctorRun (the store check leaves its SQL connection there for
 * the schema check). The tfjs and feed checks import their modules only when they run; other
 * components may add checks with registerDoctorCheck.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { redactUrl, type Config } from '../config.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { MODELS_BUCKET } from '../store/supabase/storage.ts';
import { openSqlClient } from '../store/index.ts';
import { checkServerVersion, migrationStatus } from '../store/migrate.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { SupabaseStore } from '../store/supabase/store.ts';
import { parseFlags, writeJson, type Command } from './command.ts';

export interface DoctorRun {
  config: Config;
  log: Logger;
  /** Set by the store check when the store answered; closed after the last check. */
  sql: SqlClient | null;
  /** The Supabase REST store instead, when that is the configured store (no SQL connection). */
  rest?: SupabaseStore | null;
}

export interface DoctorCheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorCheck {
  name: string;
  run(run: DoctorRun): Promise<{ ok: boolean; detail: string }>;
}

const checks: DoctorCheck[] = [];

/** Adds a check (at the end, or before the check named `before`). A name can be registered once. */
export function registerDoctorCheck(check: DoctorCheck, opts: { before?: string } = {}): void {
  if (checks.some((c) => c.name === check.name)) throw new Error(`doctor check ${check.name} is already registered`);
  const at = opts.before ? checks.findIndex((c) => c.name === opts.before) : -1;
  if (at >= 0) checks.splice(at, 0, check);
  else checks.push(check);
}

export function doctorChecks(): readonly DoctorCheck[] {
  return checks;
}

function storeLabel(config: Config): string {
  switch (config.store.kind) {
    case 'postgres':
      return `postgres ${redactUrl(config.store.url)}`;
    case 'supabase':
      return `supabase REST ${new URL(config.store.url).host}`;
    case 'embedded':
      return `embedded ${config.store.dir}`;
  }
}

registerDoctorCheck({
  name: 'config',
  async run({ config }) {
    if (config.store.kind === 'embedded') {
      try {
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        accessSync(config.dataDir, constants.W_OK);
      } catch (err) {
        return { ok: false, detail: `SIGNALBASE_DATA_DIR ${config.dataDir} is not writable: ${describeError(err)}` };
      }
    }
    return { ok: true, detail: `store=${storeLabel(config)} schema=${config.schema} data_dir=${config.dataDir}` };
  },
});

/** The REST store: reachable through PostgREST with the service-role key (no SQL connection). */
async function checkSupabaseStore(run: DoctorRun): Promise<{ ok: boolean; detail: string }> {
  const choice = run.config.store as Extract<Config['store'], { kind: 'supabase' }>;
  const rest = new SupabaseStore({ url: choice.url, serviceRoleKey: choice.serviceRoleKey, schema: run.config.schema, log: run.log, retry: { attempts: 1 } });
  try {
    const version = await rest.serverVersion();
    run.rest = rest;
    return { ok: true, detail: `supabase REST ${rest.info.location} reachable, PostgreSQL ${version} (leadership by lease row; artifacts in Storage bucket ${MODELS_BUCKET})` };
  } catch (err) {
    await rest.close();
    return { ok: false, detail: describeError(err) };
  }
}

async function checkSupabaseSchema(rest: SupabaseStore, schema: string): Promise<{ ok: boolean; detail: string }> {
  try {
    await rest.checkSchema();
    return { ok: true, detail: `schema "${schema}": every migration of sql/ applied (checked through REST)` };
  } catch (err) {
    return { ok: false, detail: describeError(err) };
  }
}

registerDoctorCheck({
  name: 'store',
  async run(run) {
    if (run.config.store.kind === 'supabase') return checkSupabaseStore(run);
    let sql: SqlClient | null = null;
    try {
      sql = await openSqlClient(run.config, run.log, { poolSize: 1 });
      const version = await checkServerVersion(sql);
      run.sql = sql;
      return { ok: true, detail: `${sql.kind} ${sql.location} reachable, PostgreSQL ${version}` };
    } catch (err) {
      await sql?.close().catch(() => undefined);
      return { ok: false, detail: describeError(err) };
    }
  },
});

registerDoctorCheck({
  name: 'schema',
  async run({ sql, rest, config }) {
    if (rest) return checkSupabaseSchema(rest, config.schema);
    if (!sql) return { ok: false, detail: 'not checked: the store did not answer' };
    try {
      const s = await migrationStatus(sql, config.schema);
      const where = `schema "${config.schema}"`;
      if (s.unknown.length > 0) {
        return { ok: false, detail: `${where} is newer than this signalbase (unknown migrations: ${s.unknown.join(', ')}); upgrade signalbase` };
      }
      if (s.changed.length > 0) {
        return { ok: false, detail: `${where}: applied migrations edited since: ${s.changed.join(', ')}; restore them and add a new migration instead` };
      }
      if (s.pending.length > 0) {
        return { ok: false, detail: `${where}: ${s.applied.length} applied, ${s.pending.length} pending; run signalbase migrate` };
      }
      return { ok: true, detail: `${where}: ${s.applied.length} migrations applied, none pending` };
    } catch (err) {
      return { ok: false, detail: describeError(err) };
    }
  },
});

// Loaded only when the check runs, so the other checks do not pay for TensorFlow.
registerDoctorCheck({
  name: 'tfjs',
  async run({ config, log }) {
    const { checkBackend } = await import('../model/backend.ts');
    return checkBackend(config.tfjsBackend, log);
  },
});

// The configured FEED (or the bundled sample): files, parameters, or the exchange reachable.
registerDoctorCheck({
  name: 'feed',
  async run({ config }) {
    const { checkFeed } = await import('./doctor-feed.ts');
    return checkFeed(config);
  },
});

// The data directory is the operator's alone: nothing in it open to the group or others.
registerDoctorCheck({
  name: 'data-dir',
  async run({ config }) {
    const { loosePaths } = await import('../store/private-dir.ts');
    const loose = loosePaths(config.dataDir);
    if (loose.count === 0) return { ok: true, detail: `${config.dataDir}: directories 0700, files 0600 (owner only)` };
    return {
      ok: false,
      detail: `${loose.count} path(s) under ${config.dataDir} are open to the group or others, e.g. ${loose.sample.join(', ')}; run chmod -R go-rwx ${config.dataDir} (the daemon tightens it at start)`,
    };
  },
});

/** Runs every registered check in order; a check that throws counts as failed. */
export async function runDoctor(config: Config, log: Logger): Promise<DoctorCheckResult[]> {
  const run: DoctorRun = { config, log, sql: null };
  const results: DoctorCheckResult[] = [];
  try {
    for (const check of checks) {
      try {
        const r = await check.run(run);
        results.push({ name: check.name, ok: r.ok, detail: r.detail });
      } catch (err) {
        results.push({ name: check.name, ok: false, detail: describeError(err) });
      }
    }
  } finally {
    await run.sql?.close().catch(() => undefined);
    await run.rest?.close().catch(() => undefined);
  }
  return results;
}

const command: Command = {
  summary: 'check configuration, store and schema; one line per check',
  usage: [
    'usage: signalbase doctor [--json]',
    '',
    'Prints one line per check (ok / FAIL, name, detail); exits 0 only if every check passes.',
    '--json prints {"ok": boolean, "checks": [{"name","ok","detail"}]}.',
  ].join('\n'),

  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } });
    const results = await runDoctor(config, log);
    const ok = results.every((r) => r.ok);
    if (values.json) {
      writeJson(out, { ok, checks: results });
    } else {
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results) out.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(width)} ${r.detail}\n`);
    }
    return ok ? 0 : 1;
  },
};

export default command;
