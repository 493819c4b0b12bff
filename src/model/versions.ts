/**
 * Run ids and model versions. A version reads `v<UTC yyyymmddhhmmss>-<6 hex of the run id>`, e.g.
 * `v20261121030000-3fa9c1`: sortable by creation time, and unique enough that two runs started in
 * the same second by different instances do not collide (the store refuses a duplicate anyway).
 */
import { createHash, randomBytes } from 'node:crypto';

/** A fresh random run id (16 hex digits). */
export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

/** The 6 hex digits a version carries: the run id's first six when it starts with hex, else a hash of it. */
export function runIdTag(runId: string): string {
  const m = /^[0-9a-f]{6}/i.exec(runId.replace(/-/g, ''));
  return m ? m[0].toLowerCase() : createHash('sha256').update(runId).digest('hex').slice(0, 6);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function modelVersion(runId: string, at: Date = new Date()): string {
  const stamp =
    pad(at.getUTCFullYear(), 4) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds());
  return `v${stamp}-${runIdTag(runId)}`;
}
