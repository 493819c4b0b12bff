#!/usr/bin/env node
/**
 * For scripts/container/test.sh: did the restarted daemon resume right after the first run?
 *   node scripts/container/check-resume.mjs RUN1.ndjson RUN2.ndjson MODEL_VERSION
 * RUN1 holds every stream message of the first run (stream-probe.mjs, until the stop); RUN2 those
 * of the restart, subscribed `since` RUN1's last signal. Passes when, per symbol, RUN2's first
 * signal is on the bundled sample's next candle after RUN1's last (nothing lost), no RUN2 signal
 * repeats a RUN1 one or comes before it (nothing twice), and every RUN2 signal is from MODEL_VERSION
 * (the first run's model still serves: no second first-model training). Exit 1 with the reasons.
 */
import { readFileSync } from 'node:fs';

const [run1, run2, model] = process.argv.slice(2);
if (!run1 || !run2 || !model) {
  process.stderr.write('usage: check-resume.mjs RUN1.ndjson RUN2.ndjson MODEL_VERSION\n');
  process.exit(2);
}
const signals = (file) =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.type === 'signal').map((m) => m.data);
const sampleTimes = (symbol) =>
  JSON.parse(readFileSync(new URL(`../../data/sample/${symbol.replace('/', '_')}-5m.json`, import.meta.url), 'utf8')).map((r) => r[0]);

const [a, b] = [signals(run1), signals(run2)];
const key = (s) => `${s.symbol}|${s.timeframe}|${s.candle_time}|${s.model_version}`;
const last = {};
for (const s of a) if (!(s.symbol in last) || s.candle_time > last[s.symbol]) last[s.symbol] = s.candle_time;
const seen = new Set(a.map(key));
const bad = [];
if (a.length === 0) bad.push(`no signal in ${run1}`);
for (const s of b) {
  if (seen.has(key(s))) bad.push(`signal ${key(s)} again after the restart`);
  else if (s.symbol in last && s.candle_time <= last[s.symbol]) bad.push(`${key(s)} is not after the last one before the stop, ${last[s.symbol]}`);
  if (s.model_version !== model) bad.push(`${key(s)}: model ${s.model_version}, not the first run's ${model}`);
}
for (const [symbol, t] of Object.entries(last)) {
  const first = b.find((s) => s.symbol === symbol);
  const next = sampleTimes(symbol).find((x) => x > Date.parse(t));
  if (!first) bad.push(`${symbol}: no signal after the restart`);
  else if (Date.parse(first.candle_time) !== next) bad.push(`${symbol}: resumed at ${first.candle_time}, the next candle after ${t} is ${new Date(next).toISOString()}`);
}
if (bad.length > 0) {
  process.stderr.write(`${bad.join('\n')}\n`);
  process.exit(1);
}
const where = Object.entries(last).map(([k, v]) => `${k} ${v}`).join(', ');
console.log(`restart: ${b.length} signals, the first of each symbol on the sample candle right after the last one before the stop (${where}), none seen before, all from ${model}`);
