/**
 * GET /v1/scorecard?model=&symbol=&days= (DESIGN.md "HTTP"): the live scorecard, the rows of
 * get_signal_scorecard() (store/queries/quality.ts) for any key. `model` a version or absent (all);
 * `symbol` as the other routes take it; `days` a whole number of days back from now, 1..3650.
 */
import type { ScorecardQuery, ScorecardRow } from '../store/queries/quality.ts';
import { ApiError } from './errors.ts';
import { exact, resolveSymbol, type Route } from './routes.ts';
import type { ApiDeps } from './types.ts';

export const MAX_SCORECARD_DAYS = 3650;

export interface ScorecardPort {
  scorecard(q: ScorecardQuery): Promise<ScorecardRow[]>;
}

/** The query of a scorecard request; a malformed value is a 400. */
export function scorecardQuery(url: URL, deps: Pick<ApiDeps, 'knownSymbols'>): ScorecardQuery {
  const model = url.searchParams.get('model');
  const symbol = url.searchParams.get('symbol');
  const days = url.searchParams.get('days');
  if (model !== null && !/^[\w.:-]{1,100}$/.test(model)) {
    throw new ApiError(400, 'INVALID_QUERY', `model must be a model version such as v20261121030000-3fa9c1 or rules; got ${JSON.stringify(model.slice(0, 40))}`);
  }
  if (days !== null && days !== '' && (!/^\d{1,4}$/.test(days) || Number(days) < 1 || Number(days) > MAX_SCORECARD_DAYS)) {
    throw new ApiError(400, 'INVALID_QUERY', `days must be a whole number from 1 to ${MAX_SCORECARD_DAYS}; got ${JSON.stringify(days.slice(0, 40))}`);
  }
  return {
    modelVersion: model || null,
    symbol: symbol ? resolveSymbol(deps, encodeURIComponent(symbol)) : null,
    days: days ? Number(days) : null,
  };
}

export function scorecardRoute(deps: Pick<ApiDeps, 'knownSymbols'>, port: ScorecardPort): Route {
  return {
    method: 'GET',
    pattern: '/v1/scorecard',
    match: exact('/v1/scorecard'),
    auth: 'any',
    handle: async ({ req }) => {
      const q = scorecardQuery(new URL(req.url ?? '/', 'http://localhost'), deps);
      const rows = await port.scorecard(q);
      return { status: 200, json: { model: q.modelVersion, symbol: q.symbol, days: q.days, rows } };
    },
  };
}
