/**
 * `signalbase migrate`: applies sql/ to the configured store (embedded, or DATABASE_URL) in
 * SIGNALBASE_SCHEMA. Idempotent: a second run applies nothing and says so.
 */
import { SELF_SERVICE_SETTING } from '../daemon/access.ts';
import { openSqlClient } from '../store/index.ts';
import { quoteIdent } from '../store/sql-client.ts';
import { migrate } from '../store/migrate.ts';
import { parseFlags, writeJson, type Command } from './command.ts';

const command: Command = {
  summary: 'apply the SQL migrations to the configured store',
  usage: [
    'usage: signalbase migrate [--json]',
    '',
    'Applies the pending files of sql/ to the store the environment configures (DATABASE_URL, or the',
    'embedded store under SIGNALBASE_DATA_DIR), in schema SIGNALBASE_SCHEMA. Prints each file applied,',
    'or "schema up to date". --json prints {"schema","location","applied":[...],"total"}.',
    'Files the Supabase CLI already applied (`supabase db push`) are adopted: recorded, not run again,',
    'one "adopted <file>" line each (in --json, "adopted":[...] when there are any).',
  ].join('\n'),

  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' } });
    const client = await openSqlClient(config, log, { poolSize: 2 });
    try {
      // No logger: this command prints each applied or adopted file itself, on stdout.
      const result = await migrate(client, { schema: config.schema });
      // The self-service cap create_ml_api_key enforces (the daemon writes it at start too).
      await client.query(`SELECT ${quoteIdent(config.schema)}.sb_put_setting($1, $2::jsonb)`, [
        SELF_SERVICE_SETTING,
        JSON.stringify(config.access.selfServiceMaxRateLimit),
      ]);
      if (values.json) {
        const adopted = result.adopted.length > 0 ? { adopted: result.adopted } : {};
        writeJson(out, { schema: config.schema, location: client.location, applied: result.applied, ...adopted, total: result.total });
        return 0;
      }
      for (const name of result.adopted) out.write(`adopted ${name} (applied by supabase db push; recorded, not run again)\n`);
      if (result.applied.length === 0) {
        out.write(`schema up to date (${result.total} migrations) in "${config.schema}" at ${client.location}\n`);
      } else {
        for (const name of result.applied) out.write(`applied ${name}\n`);
        out.write(`${result.applied.length} applied, ${result.total} migrations in "${config.schema}" at ${client.location}\n`);
      }
      return 0;
    } finally {
      await client.close();
    }
  },
};

export default command;
