/**
 * get_signal_scorecard on server Postgres, and the coverage of its bootstrap interval: over many
 * simulated samples with a known mean, the 95% interval of ml_bootstrap_mean_ci (1000 resamples,
 * as the scorecard uses) must contain that mean 95% of the time, ±3 points. A percentile bootstrap
 * of the mean of n = 50 normal draws covers about 94% (it is a little narrow at small n).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { mulberry32 } from '../../src/model/seed.ts';
import { serverPostgres, serverSqlHarness, uniqueSchema } from '../helpers/pg.ts';
import { scorecardSuite } from './scorecard.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  scorecardSuite('postgres (pg pool)', async () => serverSqlHarness(server.url));

  describe('bootstrap coverage', () => {
    const h = serverSqlHarness(server.url);
    const schema = uniqueSchema('sbt_boot');
    beforeAll(async () => {
      await migrate(h.db, { schema });
    });
    afterAll(async () => {
      await h.dropSchemas([schema]);
      await h.close();
    });

    it('the 95% interval covers the true mean 95% ± 3% of the time (400 samples of 50 trades)', async () => {
      const rand = mulberry32(2026);
      // Box-Muller: net P/L per trade ~ N(0.1, 1), the true mean 0.1.
      const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      const SIMS = 400;
      let covered = 0;
      for (let k = 0; k < SIMS; k++) {
        const values = Array.from({ length: 50 }, () => 0.1 + normal());
        const { rows } = await h.db.query<{ ci_low: number; ci_high: number }>(`SELECT * FROM "${schema}".ml_bootstrap_mean_ci($1::float8[], 1000, $2, 0.95)`, [values, k]);
        if (rows[0]!.ci_low <= 0.1 && 0.1 <= rows[0]!.ci_high) covered++;
      }
      const rate = covered / SIMS;
      expect(rate).toBeGreaterThanOrEqual(0.92);
      expect(rate).toBeLessThanOrEqual(0.98);
    }, 120_000);
  });
});
