/**
 * The `slack` kind: an incoming webhook (https://api.slack.com/messaging/webhooks) with Block Kit
 * blocks (https://api.slack.com/reference/block-kit/blocks): a header, the Summary's rows as
 * section fields, the note and the time as context, and `text` as the notification fallback.
 * Text is escaped as Slack asks (https://api.slack.com/reference/surfaces/formatting#escaping):
 * `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`, so no value can form a link or a mention.
 *
 * Answers: 200 "ok" is delivered; 429 is retried after its Retry-After header
 * (https://api.slack.com/apis/rate-limits: about one message a second per webhook); 5xx and network
 * errors retried; 400 invalid_payload, 403, 404 no_service, 410 channel_is_archived dead-lettered.
 */
import { classify, postJson } from './http.ts';
import { summarize } from './message-text.ts';
import type { SinkEvent } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import type { DeliveryResult, Transport } from './transport.ts';

type SlackSpec = Extract<SinkEntry, { kind: 'slack' }>;

export const escapeSlack = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function slackBody(event: SinkEvent): Record<string, unknown> {
  const s = summarize(event);
  const title = cut(`${s.emoji} ${s.title}`, 150);
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: title, emoji: true } }];
  if (s.rows.length > 0) {
    blocks.push({ type: 'section', fields: s.rows.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: `*${escapeSlack(label)}*\n${escapeSlack(value)}` })) });
  }
  const context = [s.note, s.time].filter((x): x is string => Boolean(x));
  if (context.length > 0) blocks.push({ type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: cut(escapeSlack(t), 3000) })) });
  const fallback = [title, ...s.rows.map(([l, v]) => `${l}: ${v}`), s.note].filter(Boolean).join(' · ');
  return { text: escapeSlack(fallback), blocks };
}

export class SlackTransport implements Transport {
  constructor(private readonly spec: Pick<SlackSpec, 'url'>) {}

  async deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult> {
    const out = await postJson(this.spec.url, JSON.stringify(slackBody(event)), {}, signal);
    return 'failed' in out ? out.failed : classify(out.answer);
  }
}
