// Health: feed state, outbox depth, subscribers, tick latency, sinks, from GET /v1/status.
import { clock, fill, h, num } from './dom.js';

const FEED_OK = new Set(['streaming', 'ended']);

function fact(label, value, cls = '') {
  return [h('dt', {}, label), h('dd', { class: cls }, value)];
}

export function renderHealth(el, s) {
  const lat = s.tick_latency;
  const window = lat.window_s === null ? 'since start' : `last ${lat.window_s} s`;
  const feedCls = FEED_OK.has(s.feed.state) ? 'ok' : s.feed.state === 'failed' ? 'bad' : 'warn';
  const outboxCls = s.outbox.degraded ? 'bad' : s.outbox.depth > 1000 ? 'warn' : 'ok';
  fill(
    el,
    h(
      'dl',
      { class: 'facts health' },
      ...fact('Feed', h('span', { class: `dot dot-${feedCls}` }, s.feed.state), feedCls),
      ...(s.feed.error ? fact('Feed error', s.feed.error, 'bad small') : []),
      ...fact('Daemon', `${s.phase}${s.leadership ? ` · ${s.leadership}` : ''}`),
      ...fact('Series', `${s.series.length} (${s.series[0]?.timeframe ?? '—'})`),
      ...fact('Serving', s.model_version, 'mono'),
      ...fact('Outbox', h('span', { class: `dot dot-${outboxCls}` }, `${num(s.outbox.depth, 0)} pending · ${s.outbox.state}`), outboxCls),
      ...(s.outbox.last_error ? fact('Store error', s.outbox.last_error, 'bad small') : []),
      ...fact('Subscribers', num(s.ws_subscribers, 0)),
      ...fact('Tick latency', lat.ticks ? `p50 ${num(lat.p50_ms, 1)} ms · p99 ${num(lat.p99_ms, 1)} ms` : 'no ticks', 'mono'),
      ...fact('Ticks', `${num(lat.ticks, 0)} (${window})`, 'small muted'),
      ...(s.sinks ?? []).flatMap((k) => {
        const cls = k.state === 'ok' ? 'ok' : k.state === 'degraded' ? 'bad' : 'warn';
        const line = `${num(k.delivered, 0)} sent · ${num(k.queue_depth, 0)} queued${k.dead_letters ? ` · ${num(k.dead_letters, 0)} dead` : ''}`;
        return [...fact(`Sink ${k.name}`, h('span', { class: `dot dot-${cls}` }, `${k.kind} · ${line}`), cls), ...(k.last_error && k.state !== 'ok' ? fact('Sink error', k.last_error, 'bad small') : [])];
      }),
    ),
    h('p', { class: 'small muted updated' }, `Updated ${clock()} UTC`),
  );
}
