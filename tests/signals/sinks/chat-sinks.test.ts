/**
 * Telegram, Discord and Slack sinks against fakes of their webhook endpoints (fake-chat.ts, which
 * cites the documented shapes): readable messages, escaping that the service accepts in both parse
 * modes, outcomes threaded as replies across a restart, and each service's 429 answer honoured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/domain/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { createSinks } from '../../../src/signals/sinks/registry.ts';
import type { SignalSink, SinkEvent } from '../../../src/signals/sinks/sink.ts';
import { parseSinks } from '../../../src/signals/sinks/sinks-file.ts';
import { escapeMarkdownV2 } from '../../../src/signals/sinks/telegram-format.ts';
import { FakeDiscord, FakeSlack, FakeTelegram, htmlError, markdownV2Error } from './fake-chat.ts';
import { makeSignal, signalEvent } from './fixtures.ts';

const log = createLogger({ level: 'silent', pretty: false });
const TOKEN = '123456:TEST-token_value';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-chat-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(sink: Record<string, unknown>, dataDir: string): SignalSink {
  const [s] = createSinks(parseSinks({ sinks: [{ retry: { base_ms: 20, cap_ms: 100 }, events: ['signal', 'outcome', 'alert'], ...sink }] }).sinks, { dataDir, log, clock: systemClock });
  cleanup.push(() => s!.stop());
  return s!;
}

const outcomeOf = (id: string): SinkEvent => ({
  type: 'outcome',
  id: `outcome:${id}`,
  data: { prediction_id: id, symbol: 'LTC/BTC', timeframe: '5m', predicted_direction: 'BUY', outcome: 'TP_HIT', entry_price: 0.0123, exit_price: 0.01255, profit_loss_pct: 1.83, bars_held: 7, model_version: 'v20240101-000000' },
});

// Characters every parse mode must cope with: MarkdownV2's reserved set and HTML's three.
const AWKWARD = makeSignal(0, { model_version: 'v1.2-beta_(x)!#+=|{}~>[]', symbol: 'LTC/BTC' });

describe('telegram', () => {
  it.each(['HTML', 'MarkdownV2'] as const)('sends a compact %s text the Bot API accepts, and the outcome as a reply to it after a restart', async (mode) => {
    const tg = await new FakeTelegram(TOKEN).start();
    cleanup.push(() => tg.stop());
    const dataDir = tempData();
    const spec = { name: 'tg', kind: 'telegram', bot_token: TOKEN, chat_id: -100123, api_base: `http://127.0.0.1:${tg.port}`, parse_mode: mode };
    const first = open(spec, dataDir);
    await first.start();
    first.publish([signalEvent(AWKWARD)]);
    await vi.waitFor(() => expect(first.status().delivered).toBe(1), { timeout: 5_000 });
    expect(first.status().deadLetters).toBe(0);
    const [msg] = tg.sent;
    const text = msg!.body.text as string;
    expect(msg!.body).toMatchObject({ chat_id: -100123, parse_mode: mode, link_preview_options: { is_disabled: true } });
    for (const part of ['BUY LTC/BTC 5m', 'Confidence', '70%', 'Entry', 'Stop', 'Target', 'Model']) expect(text).toContain(mode === 'HTML' ? part : escapeMarkdownV2(part));
    expect(text.split('\n')).toHaveLength(4);
    await first.stop();

    const second = open(spec, dataDir);
    await second.start();
    second.publish([outcomeOf(AWKWARD.id)]);
    await vi.waitFor(() => expect(second.status().delivered).toBe(1), { timeout: 5_000 });
    expect(tg.sent[1]!.body.reply_parameters).toEqual({ message_id: msg!.message_id, allow_sending_without_reply: true });
    expect(tg.sent[1]!.body.text).toContain(mode === 'HTML' ? 'TP_HIT LTC/BTC 5m BUY +1.83%' : escapeMarkdownV2('TP_HIT LTC/BTC 5m BUY +1.83%'));
  });

  it('the fake refuses what Telegram refuses (so the test above can fail)', () => {
    expect(markdownV2Error('*BUY* v1.2')).toMatch(/reserved/);
    expect(markdownV2Error(escapeMarkdownV2('v1.2-beta_(x)!'))).toBeNull();
    expect(htmlError('<b>x</b> a < b')).not.toBeNull();
    expect(htmlError('<b>x</b> a &lt; b &amp; c')).toBeNull();
  });

  it('waits retry_after after a 429 and then delivers', async () => {
    const tg = await new FakeTelegram(TOKEN).start();
    cleanup.push(() => tg.stop());
    tg.throttle = 1;
    const sink = open({ name: 'tg', kind: 'telegram', bot_token: TOKEN, chat_id: 1, api_base: `http://127.0.0.1:${tg.port}` }, tempData());
    await sink.start();
    sink.publish([signalEvent(makeSignal(1))]);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(1), { timeout: 5_000 });
    expect(tg.requests).toHaveLength(2);
    expect(tg.requests[1]!.at - tg.requests[0]!.at).toBeGreaterThanOrEqual(1_000); // parameters.retry_after: 1
    expect(sink.status()).toMatchObject({ failed: 1, deadLetters: 0, lastError: expect.stringMatching(/^rate_limited: Bot API 429/) });
    expect(sink.status().lastError).not.toContain(TOKEN);
  });
});

describe('discord and slack', () => {
  it('discord: an embed per event, 429 retry_after honoured, and a pause when the bucket is empty', async () => {
    const dc = await new FakeDiscord().start();
    cleanup.push(() => dc.stop());
    dc.throttle = 1;
    const sink = open({ name: 'dc', kind: 'discord', url: `http://127.0.0.1:${dc.port}/api/webhooks/1/tok`, username: 'signalbase' }, tempData());
    await sink.start();
    dc.remaining = 0; // the first success empties the bucket: the next send waits for its reset
    sink.publish([signalEvent(makeSignal(0)), signalEvent(makeSignal(1))]);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(2), { timeout: 8_000 });
    const at = dc.requests.map((r) => r.at);
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1_000); // retry_after: 1.0 of the 429
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1_000); // X-RateLimit-Reset-After of the empty bucket
    const embed = (dc.sent[0]!.embeds as Record<string, unknown>[])[0]!;
    expect(embed).toMatchObject({ title: '🟢 BUY LTC/BTC 5m', color: 0x2ecc71, footer: { text: 'signalbase signal sig-0' } });
    expect((embed.fields as { name: string }[]).map((f) => f.name)).toEqual(['Confidence', 'Entry', 'Stop', 'Target', 'Model']);
    expect(dc.sent[0]!.allowed_mentions).toEqual({ parse: [] });
  });

  it('slack: blocks with the rows as fields, escaped, Retry-After honoured; a 400 is dead-lettered', async () => {
    const sl = await new FakeSlack().start();
    cleanup.push(() => sl.stop());
    sl.throttle = 1;
    const sink = open({ name: 'sl', kind: 'slack', url: `http://127.0.0.1:${sl.port}/services/T/B/x` }, tempData());
    await sink.start();
    const alert: SinkEvent = { type: 'alert', id: 'alert:1', data: { condition: 'feed_down', subject: 'binance', severity: 'critical', state: 'firing', message: 'feed <binance> down & out for 6 min', at: Date.UTC(2024, 0, 1) } };
    sink.publish([signalEvent(makeSignal(0)), alert]);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(2), { timeout: 8_000 });
    expect(sl.requests).toHaveLength(3);
    expect(sl.requests[1]!.at - sl.requests[0]!.at).toBeGreaterThanOrEqual(1_000); // Retry-After: 1
    const blocks = sl.sent[0]!.blocks as { type: string; text?: { text: string }; fields?: { text: string }[] }[];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🟢 BUY LTC/BTC 5m', emoji: true } });
    expect(blocks[1]!.fields!.map((f) => f.text.split('\n')[0])).toEqual(['*Confidence*', '*Entry*', '*Stop*', '*Target*', '*Model*']);
    expect(JSON.stringify(sl.sent[1])).toContain('feed &lt;binance&gt; down &amp; out');
    expect((sl.sent[1]!.blocks as { text?: { text: string } }[])[0]!.text!.text).toBe('🔴 CRITICAL feed_down (binance)');
    sl.answer = (_r, res) => res.writeHead(400).end('invalid_payload');
    sink.publish([signalEvent(makeSignal(2))]);
    await vi.waitFor(() => expect(sink.status().deadLetters).toBe(1), { timeout: 5_000 });
  });
});
