/**
 * What a person reads for each event, independent of the chat service: a title, a colour, and
 * label/value rows. Telegram, Discord and Slack each render this one summary in their own markup,
 * so the three say the same thing.
 *
 *   signal   "BUY LTC/BTC 5m"  confidence 71%, entry, stop, target, model
 *   outcome  "TP_HIT LTC/BTC 5m BUY +1.84%"  entry → exit, bars held
 *   model    "Model v20240101-000000 activated"
 *   drift    "Drift detected on v…" / "No drift on v…" with the summary line
 *   alert    "🔴 CRITICAL feed_down (binance)" / "✅ RESOLVED feed_down (binance)" with the message
 */
import type { Signal } from '../../domain/signal.ts';
import type { AlertData, SinkEvent } from './sink.ts';

export type Tone = 'buy' | 'sell' | 'neutral' | 'good' | 'bad' | 'warning' | 'info';

export interface Summary {
  /** Leads the title: the direction's or outcome's colour, an alert's severity. */
  emoji: string;
  title: string;
  tone: Tone;
  rows: [label: string, value: string][];
  /** One line under the rows (drift summary, alert message). */
  note?: string;
  /** ISO time the event is about. */
  time?: string;
}

/** A price with enough significant digits for small-priced pairs (0.00012345) and big ones (64,250.5). */
export function formatPrice(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const abs = Math.abs(p);
  if (abs >= 1000) return p.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (abs >= 1) return p.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  return p.toPrecision(6).replace(/0+$/, '').replace(/\.$/, '');
}

/** A fraction as a whole percentage (0.712 → 71%). */
const fraction = (v: number) => `${Math.round(v * 100)}%`;
/** A value already in percent, signed (1.8412 → +1.84%). */
const signedPct = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;

function str(v: unknown, fallback = '—'): string {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : fallback;
}

export function signalSummary(s: Signal): Summary {
  const tone: Tone = s.predicted_direction === 'BUY' ? 'buy' : s.predicted_direction === 'SELL' ? 'sell' : 'neutral';
  return {
    emoji: TONE_EMOJI[tone],
    title: `${s.predicted_direction} ${s.symbol} ${s.timeframe}`,
    tone,
    rows: [
      ['Confidence', fraction(s.confidence_score)],
      ['Entry', formatPrice(s.entry_price)],
      ['Stop', formatPrice(s.stop_loss)],
      ['Target', formatPrice(s.take_profit)],
      ['Model', s.model_version],
    ],
    time: s.candle_time,
  };
}

function outcomeSummary(d: Record<string, unknown>): Summary {
  const pnl = typeof d.profit_loss_pct === 'number' ? d.profit_loss_pct : null;
  const outcome = str(d.outcome, 'RESOLVED');
  const tone: Tone = outcome === 'TP_HIT' ? 'good' : outcome === 'SL_HIT' ? 'bad' : 'neutral';
  return {
    emoji: TONE_EMOJI[tone],
    title: `${outcome} ${str(d.symbol, '')} ${str(d.timeframe, '')} ${str(d.predicted_direction, '')}${pnl !== null ? ` ${signedPct(pnl)}` : ''}`.replace(/\s+/g, ' ').trim(),
    tone,
    rows: [
      ['Entry', formatPrice(d.entry_price as number)],
      ['Exit', formatPrice(d.exit_price as number)],
      ['Bars held', str(d.bars_held)],
      ['Model', str(d.model_version)],
    ],
    time: typeof d.candle_time === 'string' ? d.candle_time : undefined,
  };
}

function modelSummary(d: Record<string, unknown>): Summary {
  const event = str(d.event, 'changed').replace(/_/g, ' ');
  const rows: Summary['rows'] = [];
  if (d.previous !== undefined) rows.push(['Previous', str(d.previous, 'rules')]);
  if (d.reason !== undefined) rows.push(['Reason', str(d.reason)]);
  const tone: Tone = event.includes('activated') ? 'good' : 'info';
  return { emoji: TONE_EMOJI[tone], title: `Model ${str(d.version, '?')} ${event}`, tone, rows, time: typeof d.at === 'string' ? d.at : undefined };
}

function driftSummary(d: Record<string, unknown>): Summary {
  const detected = d.drift_detected === true;
  return {
    emoji: detected ? TONE_EMOJI.warning : TONE_EMOJI.good,
    title: `${detected ? 'Drift detected' : 'No drift'} on ${str(d.model_version, 'the active model')}`,
    tone: detected ? 'warning' : 'good',
    rows: [
      ['Status', str(d.status)],
      ['Action', str(d.action)],
    ],
    note: str(d.summary, ''),
    time: typeof d.checked_at === 'string' ? d.checked_at : undefined,
  };
}

const SEVERITY_MARK: Record<AlertData['severity'], string> = { critical: '🔴', warning: '🟠', info: 'ℹ️' };

export function alertSummary(a: AlertData): Summary {
  const resolved = a.state === 'resolved';
  return {
    emoji: resolved ? '✅' : SEVERITY_MARK[a.severity],
    title: `${resolved ? 'RESOLVED' : a.severity.toUpperCase()} ${a.condition}${a.subject ? ` (${a.subject})` : ''}`,
    tone: resolved ? 'good' : a.severity === 'critical' ? 'bad' : a.severity === 'warning' ? 'warning' : 'info',
    rows: [],
    note: a.message,
    time: new Date(a.at).toISOString(),
  };
}

export function summarize(e: SinkEvent): Summary {
  switch (e.type) {
    case 'signal':
      return signalSummary(e.data);
    case 'outcome':
      return outcomeSummary(e.data);
    case 'model':
      return modelSummary(e.data);
    case 'drift':
      return driftSummary(e.data);
    case 'alert':
      return alertSummary(e.data);
  }
}

/** Discord embed colours (decimal RGB) and the emoji Telegram and Slack titles start with. */
export const TONE_COLOR: Record<Tone, number> = { buy: 0x2ecc71, sell: 0xe74c3c, neutral: 0x95a5a6, good: 0x27ae60, bad: 0xc0392b, warning: 0xf39c12, info: 0x3498db };
export const TONE_EMOJI: Record<Tone, string> = { buy: '🟢', sell: '🔴', neutral: '⚪', good: '✅', bad: '❌', warning: '⚠️', info: 'ℹ️' };
