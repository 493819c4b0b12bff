/**
 * `signalbase retrain [--force] [--reason TEXT] [--wait] [--json]`: files a retrain request in the
 * queue (source 'cli'); the running daemon's leader picks it up within seconds (DESIGN.md
 * "Commands"). Prints the request id; with --wait, waits until the request ends and prints how
 * (exit 0 for DONE or SKIPPED, 1 for FAILED).
 *
 * Embedded store held by a running daemon: this command does not open the files a second time and
 * does not go through the daemon's API on its own (that needs an admin key this command does not
 * have); it stops (exit 1) with the message naming the daemon's pid and the curl line that files
 * the same request through POST /v1/retrain. With Postgres every instance and this command share
 * the database, so the request goes straight into the table.
 */
import { sleep } from '../domain/timing.ts';
import { StoreError } from '../errors.ts';
import { retrainJson } from '../serve/dashboard-json.ts';
import { openStore, type Store } from '../store/index.ts';
import type { RetrainRequest } from '../store/types.ts';
import { parseFlags, writeJson, type Command, type CommandContext } from './command.ts';

const WAIT_POLL_MS = 1_000;
const ENDED = new Set(['DONE', 'FAILED', 'SKIPPED']);

/** The request as the dashboard's GET /v1/retrain/:id shows it, plus which instance claimed it. */
const toJson = (r: RetrainRequest) => ({ ...retrainJson(r), claimed_by: r.claimedBy });

async function openOrExplain(ctx: CommandContext, body: { force: boolean; reason: string | null }): Promise<Store> {
  try {
    return await openStore(ctx.config, ctx.log);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'STORE_LOCKED' && typeof err.context.pid === 'number') {
      const payload = JSON.stringify(body.reason === null ? { force: body.force } : body).replaceAll("'", "'\\''");
      throw new StoreError(
        'STORE_LOCKED',
        `the embedded store is held by the running daemon (process ${err.context.pid}); file the request through its API with an admin key: ` +
          `curl -X POST http://localhost:${ctx.config.port}/v1/retrain -H 'Authorization: Bearer ADMIN_KEY' -H 'content-type: application/json' -d '${payload}'`,
        { context: err.context, cause: err },
      );
    }
    throw err;
  }
}

const command: Command = {
  summary: "file a retrain request; the running daemon's leader picks it up within seconds",
  usage: [
    'usage: signalbase retrain [--force] [--reason TEXT] [--wait] [--json]',
    '',
    '  --force        train even if the last training is newer than MIN_RETRAIN_INTERVAL_DAYS',
    '  --reason TEXT  recorded with the request',
    '  --wait         wait until the request ends; exit 1 if it FAILED',
    '  --json         print the request as one JSON document',
  ].join('\n'),
  async run(argv, ctx) {
    const { values } = parseFlags(argv, {
      force: { type: 'boolean', default: false },
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const force = values.force ?? false;
    const reason = values.reason?.trim() || null;
    const store = await openOrExplain(ctx, { force, reason });
    try {
      let r = await store.enqueueRetrain({ source: 'cli', force, reason });
      if (!values.wait) {
        if (values.json) writeJson(ctx.out, toJson(r));
        else ctx.out.write(`retrain request ${r.id} filed${force ? ' (forced)' : ''}; the daemon's leader picks it up within seconds\n`);
        return 0;
      }
      ctx.log.info({ request: r.id }, `retrain request ${r.id} filed; waiting for the daemon's leader to serve it (Ctrl-C stops waiting, the request stays queued)`);
      while (!ENDED.has(r.status)) {
        await sleep(WAIT_POLL_MS);
        r = (await store.getRetrain(r.id)) ?? r;
      }
      if (values.json) writeJson(ctx.out, toJson(r));
      else if (r.status === 'DONE') ctx.out.write(`retrain request ${r.id} DONE: model ${r.modelVersion}\n`);
      else ctx.out.write(`retrain request ${r.id} ${r.status}: ${r.error ?? 'no reason recorded'}\n`);
      return r.status === 'FAILED' ? 1 : 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
