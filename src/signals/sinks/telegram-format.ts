/**
 * A Summary as Telegram message text in either parse mode, escaped as the Bot API requires
 * (https://core.telegram.org/bots/api#formatting-options):
 *  - HTML: `<`, `>` and `&` in text become `&lt;`, `&gt;`, `&amp;` (all other entities are left to us);
 *  - MarkdownV2: every one of `_ * [ ] ( ) ~ \` > # + - = | { } . !` and `\` itself is preceded by
 *    `\` outside entities; inside `code` only `\` and `` ` `` are.
 * A value such as "0.012345" or a model version "v2024-01-01" is full of `.` and `-`, which is why
 * an unescaped MarkdownV2 message is refused with 400 "can't parse entities".
 *
 *   🟢 BUY LTC/BTC 5m
 *   Confidence: 71%
 *   Entry: 0.012345 · Stop: 0.012222 · Target: 0.012592
 *   Model: v20240101-000000
 */
import type { Summary } from './message-text.ts';

export type ParseMode = 'HTML' | 'MarkdownV2';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeMarkdownV2(text: string): string {
  return text.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, (c) => `\\${c}`);
}

export function escapeMarkdownV2Code(text: string): string {
  return text.replace(/[`\\]/g, (c) => `\\${c}`);
}

const PRICE_ROWS = new Set(['Entry', 'Stop', 'Target', 'Exit']);

/** The message text for `mode`; at most 4096 characters (the Bot API's limit), cut with an ellipsis. */
export function telegramText(s: Summary, mode: ParseMode): string {
  const esc = mode === 'HTML' ? escapeHtml : escapeMarkdownV2;
  const bold = (t: string) => (mode === 'HTML' ? `<b>${escapeHtml(t)}</b>` : `*${escapeMarkdownV2(t)}*`);
  const code = (t: string) => (mode === 'HTML' ? `<code>${escapeHtml(t)}</code>` : `\`${escapeMarkdownV2Code(t)}\``);
  const lines = [`${esc(s.emoji)} ${bold(s.title)}`];
  const prices = s.rows.filter(([label]) => PRICE_ROWS.has(label));
  for (const [label, value] of s.rows) {
    if (PRICE_ROWS.has(label)) {
      if (label === prices[0]?.[0]) lines.push(prices.map(([l, v]) => `${esc(`${l}:`)} ${code(v)}`).join(esc(' · ')));
      continue;
    }
    lines.push(`${esc(`${label}:`)} ${label === 'Model' ? code(value) : esc(value)}`);
  }
  if (s.note) lines.push(esc(s.note));
  const text = lines.join('\n');
  // Cut on a line boundary so no entity is left open.
  if (text.length <= 4096) return text;
  let out = '';
  for (const l of lines) {
    if (out.length + l.length + 2 > 4090) break;
    out += (out ? '\n' : '') + l;
  }
  return `${out}\n${esc('…')}`;
}
