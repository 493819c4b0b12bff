/**
 * ml_retrain_requests: the one retrain queue. Anyone files a request; the leader claims the oldest
 * PENDING one (by filing order, seq) with FOR UPDATE SKIP LOCKED, so two claimers never get the
 * same request.
 */
import type { RetrainRequest, RetrainSource, RetrainStatus } from '../types.ts';
import { isUuid, notFound, strOrNull, toMs, toMsOrNull, type Ctx, type RpcCtx } from './common.ts';

type Row = Record<string, unknown>;

export const toRequest = (r: Row): RetrainRequest => ({
  id: String(r.id),
  source: r.source as RetrainSource,
  reason: strOrNull(r.reason),
  force: Boolean(r.force),
  status: r.status as RetrainStatus,
  claimedBy: strOrNull(r.claimed_by),
  modelVersion: strOrNull(r.model_version),
  error: strOrNull(r.error),
  createdAt: toMs(r.created_at),
  startedAt: toMsOrNull(r.started_at),
  finishedAt: toMsOrNull(r.finished_at),
});

export async function enqueueRetrain(
  { rpc }: RpcCtx,
  r: { source: RetrainSource; reason?: string | null; force?: boolean },
): Promise<RetrainRequest> {
  const rows = await rpc.rows('sb_enqueue_retrain', { p_source: r.source, p_reason: r.reason ?? null, p_force: r.force ?? false });
  return toRequest(rows[0]!);
}

export async function claimRetrain({ rpc }: RpcCtx, worker: string): Promise<RetrainRequest | null> {
  const rows = await rpc.rows('sb_claim_retrain', { p_worker: worker });
  return rows[0] ? toRequest(rows[0]) : null;
}

/**
 * Ends a PENDING or RUNNING request. A request already finished is returned as it is, so a
 * repeated finish (a retry after a lost reply) changes nothing.
 */
export async function finishRetrain(
  { rpc }: RpcCtx,
  id: string,
  result: { status: 'DONE' | 'FAILED' | 'SKIPPED'; modelVersion?: string | null; error?: string | null },
): Promise<RetrainRequest> {
  if (!isUuid(id)) throw notFound('retrain request', id);
  const rows = await rpc.rows('sb_finish_retrain', {
    p_id: id,
    p_status: result.status,
    p_model_version: result.modelVersion ?? null,
    p_error: result.error ?? null,
  });
  return toRequest(rows[0]!);
}

export async function getRetrain({ db, n }: Ctx, id: string): Promise<RetrainRequest | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT * FROM ${n.retrain} WHERE id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : null;
}

export async function listRetrains({ db, n }: Ctx, limit: number): Promise<RetrainRequest[]> {
  const { rows } = await db.query(`SELECT * FROM ${n.retrain} ORDER BY seq DESC LIMIT $1`, [
    Math.max(0, Math.floor(limit)),
  ]);
  return rows.map(toRequest);
}
