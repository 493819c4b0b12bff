// DOM and formatting helpers. Every piece of data reaches the page through textContent or an
// attribute set with setAttribute: never innerHTML, so nothing the server or a symbol name holds can
// become markup.

/** h('td', { class: 'num' }, 'text', childNode, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
}

/** A one-line message in place of a panel's content (kind: 'empty' | 'error' | 'info'). */
export function notice(text, kind = 'empty') {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

export function num(x, digits = 2) {
  return isNum(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
}

/** A price with enough significant digits for BTC-quoted pairs (0.016934) and USD ones (43,210.5). */
export function price(x) {
  if (!isNum(x)) return '—';
  const a = Math.abs(x);
  const digits = a >= 1000 ? 2 : a >= 1 ? 4 : Math.min(10, 4 - Math.floor(Math.log10(a || 1)));
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const pct = (x, digits = 1) => (isNum(x) ? `${(x * 100).toFixed(digits)}%` : '—');
export const signedPct = (x) => (isNum(x) ? `${x > 0 ? '+' : ''}${x.toFixed(2)}%` : '—');

/** "11-22 02:44" in UTC, for narrow columns. */
export function shortUtc(iso) {
  return utc(iso).slice(5);
}

/** "2018-01-20 10:05" in UTC: candle times are exchange times. */
export function utc(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().slice(0, 16).replace('T', ' ');
}

export function clock(date = new Date()) {
  return date.toISOString().slice(11, 19);
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** '5m' → 300000; unknown → 0. */
export function timeframeMs(tf) {
  const m = /^(\d+)([mhdw])$/.exec(tf ?? '');
  return m ? Number(m[1]) * UNIT_MS[m[2]] : 0;
}
