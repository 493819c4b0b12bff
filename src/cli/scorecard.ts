/**
 * `signalbase scorecard [--model V] [--symbol S] [--days N] [--json]`: the live scorecard
 * (get_signal_scorecard, sql/20261204000210_signal_scorecard.sql): per model version and symbol,
 * per model over all symbols (symbol *), and overall (* / *): signals, trades, hit rate, mean net
 * P/L per trade with its bootstrap 95% interval, profit factor, max drawdown, Brier and ECE.
 * --json prints {"model", "symbol", "days", "rows": [...]}, the GET /v1/scorecard document.
 */
import { ConfigError } from '../errors.ts';
import type { ScorecardRow } from '../store/queries/quality.ts';
import { openStore } from '../store/index.ts';
import { parseFlags, writeJson, type Command } from './command.ts';

const USAGE = 'usage: signalbase scorecard [--model V] [--symbol S] [--days N] [--json]';

const f = (v: number | string | null, digits = 4) => (v === null ? '-' : typeof v === 'string' ? v : v.toFixed(digits));

export function renderScorecard(rows: readonly ScorecardRow[]): string {
  if (rows.every((r) => r.signals === 0)) return 'no live signals yet\n';
  const head = ['model', 'symbol', 'signals', 'trades', 'hit rate', 'mean P/L %', '95% CI', 'PF', 'max DD %', 'Brier', 'ECE'];
  const body = rows.map((r) => [
    r.model_version,
    r.symbol,
    String(r.signals),
    String(r.trades),
    f(r.hit_rate, 3),
    f(r.mean_pnl_pct),
    r.mean_pnl_ci_low === null ? '-' : `[${f(r.mean_pnl_ci_low)}, ${f(r.mean_pnl_ci_high)}]`,
    f(r.profit_factor, 3),
    f(r.max_drawdown_pct, 3),
    f(r.brier),
    f(r.ece),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(head), ...body.map(line)].join('\n')}\nmean P/L: net of fees per resolved BUY/SELL; 95% CI: percentile bootstrap, 1000 resamples\n`;
}

const command: Command = {
  summary: 'the live scorecard per model version and symbol',
  usage: USAGE,
  async run(argv, { config, log, out }) {
    const { values } = parseFlags(argv, {
      model: { type: 'string' },
      symbol: { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.days !== undefined && (!/^\d{1,4}$/.test(values.days) || Number(values.days) < 1)) {
      throw new ConfigError(`--days must be a whole number of days >= 1, got '${values.days}'; ${USAGE}`);
    }
    const q = { modelVersion: values.model ?? null, symbol: values.symbol ?? null, days: values.days ? Number(values.days) : null };
    const store = await openStore(config, log);
    try {
      const rows = await store.scorecard(q);
      if (values.json) writeJson(out, { model: q.modelVersion, symbol: q.symbol, days: q.days, rows });
      else out.write(renderScorecard(rows));
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
