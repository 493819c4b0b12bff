/**
 * The sinks file: JSON and YAML parse to the same specs with their defaults; every bad file is a
 * ConfigError (exit 2) naming the sink and the field; secrets never appear in describeSink().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, exitCodeFor } from '../../../src/errors.ts';
import { eventFilter } from '../../../src/signals/sinks/filter.ts';
import { describeSink, loadSinksFile, parseSinks, redactor, secretsOf } from '../../../src/signals/sinks/sinks-file.ts';
import { makeSignal, signalEvent } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-sinks-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = '123456:ABC-DEF_ghijklmnop';
const DISCORD = 'https://discord.com/api/webhooks/1234/SeCrEtToKeNvAlUe';

function error(doc: unknown): ConfigError {
  try {
    parseSinks(doc, 'sinks.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(err)).toBe(2);
    return err as ConfigError;
  }
  throw new Error('parseSinks accepted the document');
}

describe('sinks file', () => {
  it('reads YAML and JSON alike, with defaults', () => {
    const yaml = join(dir, 'sinks.yaml');
    writeFileSync(yaml, `sinks:\n  - name: tg\n    kind: telegram\n    bot_token: "${TOKEN}"\n    chat_id: -100123\n    events: [signal, outcome]\n    filter: { min_confidence: 0.6 }\n`);
    const json = join(dir, 'sinks.json');
    writeFileSync(json, JSON.stringify({ sinks: [{ name: 'tg', kind: 'telegram', bot_token: TOKEN, chat_id: -100123, events: ['signal', 'outcome'], filter: { min_confidence: 0.6 } }] }));
    const a = loadSinksFile(yaml);
    expect(loadSinksFile(json)).toEqual(a);
    expect(a.sinks[0]).toMatchObject({ kind: 'telegram', parse_mode: 'HTML', api_base: 'https://api.telegram.org', queue: { max_depth: 10_000, fsync: false }, retry: { max_attempts: 20 } });
    expect(a.alerts).toEqual({ feed_down_minutes: 5, outbox_stuck_minutes: 5, dead_letter_quiet_minutes: 15, check_seconds: 15 });
  });

  it.each([
    [{ sinks: [{ name: 'ops-hook', kind: 'webhook', url: 'ftp://x', secret: 'x'.repeat(16) }] }, 'sink "ops-hook" (sinks[0]) field url: must be an http(s) URL'],
    [{ sinks: [{ name: 'ops-hook', kind: 'webhook', url: 'https://x.example', secret: 'short' }] }, 'sink "ops-hook" (sinks[0]) field secret: must be at least 16'],
    [{ sinks: [{ name: 'chat', kind: 'telegram', bot_token: 'nope', chat_id: 1 }] }, 'sink "chat" (sinks[0]) field bot_token'],
    [{ sinks: [{ name: 'x', kind: 'pager' }] }, 'sink "x" (sinks[0]) field kind'],
    [{ sinks: [{ name: 'm', kind: 'mqtt', url: 'mqtt://127.0.0.1', filter: { directions: ['UP'] } }] }, 'sink "m" (sinks[0]) field filter.directions.0'],
    [{ sinks: [{ name: 'm', kind: 'mqtt', url: 'mqtt://127.0.0.1', colour: 'red' }] }, 'sink "m" (sinks[0]) field colour: unknown field colour'],
    [{ sinks: [{ name: 'a', kind: 'slack', url: 'https://hooks.slack.com/x' }, { name: 'A', kind: 'slack', url: 'https://hooks.slack.com/y' }] }, 'sink "A" (sinks[1]) field name: is used by another sink'],
    [{ sinks: [{ kind: 'slack', url: 'https://hooks.slack.com/x' }] }, 'sinks[0] field name'],
    [{ sinks: [], alerts: { feed_down_minutes: -1 } }, 'field alerts.feed_down_minutes'],
  ])('refuses %j naming the sink and the field', (doc, message) => {
    expect(error(doc).message).toContain(`SINKS_FILE ${message}`);
  });

  it('refuses a file that is not YAML, or missing, naming the file', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'sinks: [\n');
    expect(() => loadSinksFile(bad)).toThrow(/is not valid YAML/);
    expect(() => loadSinksFile(join(dir, 'missing.json'))).toThrow(/cannot be read/);
  });

  it('keeps secrets out of what is logged and scrubs them from error text', () => {
    const { sinks } = parseSinks({
      sinks: [
        { name: 'tg', kind: 'telegram', bot_token: TOKEN, chat_id: 5 },
        { name: 'dc', kind: 'discord', url: DISCORD },
        { name: 'wh', kind: 'webhook', url: 'https://hooks.example/in?token=qwertyuiop', secret: 'the-webhook-secret-value' },
      ],
    });
    const shown = JSON.stringify(sinks.map(describeSink));
    for (const secret of [TOKEN, 'SeCrEtToKeNvAlUe', 'qwertyuiop', 'the-webhook-secret-value']) expect(shown).not.toContain(secret);
    const scrub = redactor(secretsOf(sinks[0]!));
    expect(scrub(`POST https://api.telegram.org/bot${TOKEN}/sendMessage failed`)).toBe('POST https://api.telegram.org/bot[redacted]/sendMessage failed');
  });

  it('filters: HOLD and low confidence out by default, symbols and recommendations when set', () => {
    const f = eventFilter(parseSinks({ sinks: [{ name: 'w', kind: 'slack', url: 'https://h.example/x', filter: { min_confidence: 0.6, symbols: ['ltc/btc'] } }] }).sinks[0]!);
    expect(f(signalEvent(makeSignal(0)))).toBe(true);
    expect(f(signalEvent(makeSignal(0, { predicted_direction: 'HOLD' })))).toBe(false);
    expect(f(signalEvent(makeSignal(0, { confidence_score: 0.5 })))).toBe(false);
    expect(f(signalEvent(makeSignal(0, { symbol: 'XLM/BTC' })))).toBe(false);
    expect(f({ type: 'alert', id: 'a', data: { condition: 'x', subject: '', severity: 'info', state: 'firing', message: '', at: 0 } })).toBe(false);
    const holds = eventFilter(parseSinks({ sinks: [{ name: 'w', kind: 'slack', url: 'https://h.example/x', filter: { directions: ['HOLD'], recommendations: ['HOLD'] } }] }).sinks[0]!);
    expect(holds(signalEvent(makeSignal(0, { predicted_direction: 'HOLD' })))).toBe(true);
    expect(holds(signalEvent(makeSignal(0)))).toBe(false);
  });
});
