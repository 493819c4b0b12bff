#!/usr/bin/env node
/**
 * A websocket subscriber for scripts/container/test.sh: connects to /v1/stream with a key,
 * subscribes to every symbol (optionally `since` a time), and prints each server message as one
 * JSON line on stdout until the server closes the socket (the daemon stopping: code 1001), or
 * `--signals N` signals have arrived. Exit 0 when it saw at least one signal, else 1.
 *
 *   node scripts/container/stream-probe.mjs --url ws://127.0.0.1:8787/v1/stream --key KEY \
 *     [--since ISO] [--signals N] [--timeout SECONDS]
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: o } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    since: { type: 'string' },
    signals: { type: 'string' },
    timeout: { type: 'string', default: '120' },
  },
});
if (!o.url || !o.key) {
  process.stderr.write('usage: stream-probe.mjs --url WS_URL --key KEY [--since ISO] [--signals N] [--timeout S]\n');
  process.exit(2);
}
const want = o.signals ? Number(o.signals) : Infinity;
let signals = 0;
const ws = new WebSocket(o.url, { headers: { authorization: `Bearer ${o.key}` } });
const timer = setTimeout(() => {
  process.stderr.write(`stream-probe: ${signals} signal(s) after ${o.timeout} s; giving up\n`);
  ws.terminate();
}, Number(o.timeout) * 1000);
ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'], ...(o.since ? { since: o.since } : {}) })));
ws.on('message', (raw) => {
  process.stdout.write(`${raw.toString()}\n`);
  if (JSON.parse(raw.toString()).type === 'signal' && ++signals >= want) ws.close(1000);
});
ws.on('close', (code) => {
  clearTimeout(timer);
  process.stderr.write(`stream-probe: closed with ${code} after ${signals} signal(s)\n`);
  process.exitCode = signals > 0 ? 0 : 1;
});
ws.on('error', (err) => process.stderr.write(`stream-probe: ${err.message}\n`));
