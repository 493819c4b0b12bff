/**
 * What the daemon decides and what SQL reports agree (detect_model_drift, migration
 * 20261122000900_drift.sql), and the retrain cooldown holds, across a "restart" too (a new store
 * object over the same database: nothing in memory, only stored requests). Runs on PGlite and on
 * server Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.ts';
import { actOnCheck } from '../../src/drift/action.ts';
import { checkDrift, type DriftResult } from '../../src/drift/check.ts';
import type { OutcomeSample } from '../../src/drift/performance.ts';
import { createLogger } from '../../src/log.ts';
import type { Leadership } from '../../src/store/leadership.ts';
import { migrate } from '../../src/store/migrate.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import { uniqueSchema } from '../helpers/pg.ts';
import type { SqlTarget } from '../sql/functions.suite.ts';
import { liveWorld, trainingReference, windowAt } from './helpers.ts';

const log = createLogger({ level: 'silent', pretty: false });

export function driftVerdictSuite(label: string, open: () => Promise<SqlTarget>): void {
  describe(`drift records and detect_model_drift: ${label}`, () => {
    let t: SqlTarget;
    let schema: string;
    const storeOf = () => new SqlStore(t.db, { schema, leadership: {} as unknown as Leadership, serverVersion: null });
    const model = trainingReference(2, { accuracy: 0.6, winRate: 0.55, trades: 300 });
    const vectors = windowAt(liveWorld({ symbols: 2, candles: 1200 }), 1000);
    const bad: OutcomeSample[] = Array.from({ length: 120 }, (_, i) => ({ correct: i % 10 < 3, trade: true, win: i % 10 < 3 }));
    // Performance drifted; the prediction PSI is larger in raw terms but was not significant.
    const performanceOnly = (): DriftResult => {
      const r = checkDrift({ model, vectors, predictions: [], outcomes: bad });
      return { ...r, scores: { ...r.scores, data: 0.1, prediction: 0.9 } };
    };

    beforeAll(async () => {
      t = await open();
      schema = uniqueSchema('sbt_drift');
      await migrate(t.db, { schema });
    }, 120_000);
    afterAll(async () => {
      await t.dropSchemas([schema]);
      await t.close();
    });

    it('names the component the check found drifted, and says a retrain was requested', async () => {
      const r = performanceOnly();
      expect(r.drifted).toEqual(['performance']);
      const report = await actOnCheck({ store: storeOf(), cooldownMs: 3_600_000, clock: systemClock, log }, r);
      expect(report.retrain_request_id).not.toBeNull();
      const { rows } = await t.db.query(`SELECT drift_detected, drift_type, recommendations, check_status FROM ${schema}.detect_model_drift($1)`, [model.version]);
      expect(rows[0]).toMatchObject({ drift_detected: true, drift_type: 'Performance Drift', check_status: 'drift' });
      expect((rows[0] as { recommendations: string[] }).recommendations[0]).toBe('Retraining already requested');
    });

    it('the cooldown holds for a second drift and across a restart; after it, a new request is filed', async () => {
      const again = await actOnCheck({ store: storeOf(), cooldownMs: 3_600_000, clock: systemClock, log }, performanceOnly());
      expect(again.retrain_request_id).toBeNull();
      expect(again.action).toMatch(/cooldown/);
      const restarted = storeOf(); // nothing carried over in memory
      const third = await actOnCheck({ store: restarted, cooldownMs: 3_600_000, clock: systemClock, log }, performanceOnly());
      expect(third.retrain_request_id).toBeNull();
      expect((await restarted.listRetrains(10)).filter((q) => q.source === 'drift')).toHaveLength(1);
      const after = await actOnCheck({ store: restarted, cooldownMs: 0, clock: systemClock, log }, performanceOnly());
      expect(after.retrain_request_id).not.toBeNull();
      expect((await restarted.listRetrains(10)).filter((q) => q.source === 'drift')).toHaveLength(2);
    });

    it('a later check without drift reports no drift; insufficient data says so', async () => {
      await actOnCheck({ store: storeOf(), cooldownMs: 0, clock: systemClock, log }, checkDrift({ model, vectors, predictions: [], outcomes: [] }));
      let { rows } = await t.db.query(`SELECT drift_detected, drift_type, check_status FROM ${schema}.detect_model_drift($1)`, [model.version]);
      expect(rows[0]).toEqual({ drift_detected: false, drift_type: 'No Significant Drift', check_status: 'ok' });
      await actOnCheck({ store: storeOf(), cooldownMs: 0, clock: systemClock, log }, checkDrift({ model, vectors: windowAt(liveWorld({ symbols: 2, candles: 1200 }), 1000, 40), predictions: [], outcomes: [] }));
      ({ rows } = await t.db.query(`SELECT drift_detected, drift_type, check_status FROM ${schema}.detect_model_drift($1)`, [model.version]));
      expect(rows[0]).toEqual({ drift_detected: false, drift_type: 'Insufficient Data', check_status: 'insufficient_data' });
    });
  });
}
