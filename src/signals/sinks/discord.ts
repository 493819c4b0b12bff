/**
 * The `discord` kind: an incoming webhook ("Execute Webhook",
 * https://discord.com/developers/docs/resources/webhook#execute-webhook) with one embed per event:
 * title, colour by direction or outcome, the Summary's rows as inline fields, the note as the
 * description. `allowed_mentions: {parse: []}` keeps any text from pinging anyone.
 *
 * Rate limits (https://discord.com/developers/docs/topics/rate-limits): a 429's JSON body carries
 * `retry_after` in seconds (float) and `global`; it is honoured before the next attempt. On success
 * `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset-After: <seconds>` pauses this sink's queue until
 * the bucket resets, so it does not run into the 429 at all.
 */
import { classify, postJson, retryAfterMs } from './http.ts';
import { summarize, TONE_COLOR } from './message-text.ts';
import type { SinkEvent } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import { retry, type DeliveryResult, type Transport } from './transport.ts';

type DiscordSpec = Extract<SinkEntry, { kind: 'discord' }>;

const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function discordBody(event: SinkEvent, username?: string): Record<string, unknown> {
  const s = summarize(event);
  return {
    ...(username ? { username } : {}),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: cut(`${s.emoji} ${s.title}`, 256),
        color: TONE_COLOR[s.tone],
        ...(s.note ? { description: cut(s.note, 4096) } : {}),
        fields: s.rows.slice(0, 25).map(([name, value]) => ({ name: cut(name, 256), value: cut(value, 1024), inline: true })),
        ...(s.time ? { timestamp: s.time } : {}),
        footer: { text: `signalbase ${event.type} ${cut(event.id, 200)}` },
      },
    ],
  };
}

export class DiscordTransport implements Transport {
  private readonly url: string;

  constructor(private readonly spec: Pick<DiscordSpec, 'url' | 'username'>) {
    const u = new URL(spec.url);
    u.searchParams.set('wait', 'true'); // answer 200 with the message rather than 204: errors are reported
    this.url = u.toString();
  }

  async deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult> {
    const out = await postJson(this.url, JSON.stringify(discordBody(event, this.spec.username)), {}, signal);
    if ('failed' in out) return out.failed;
    const a = out.answer;
    if (a.status === 429) {
      let after: number | undefined;
      try {
        const body = JSON.parse(a.text) as { retry_after?: unknown; global?: unknown };
        if (typeof body.retry_after === 'number') after = Math.ceil(body.retry_after * 1000);
      } catch {
        // a 429 from Cloudflare in front of Discord has no JSON body
      }
      after ??= retryAfterMs(a.headers.get('retry-after'));
      return retry('rate_limited', `Discord 429${after !== undefined ? `, retry after ${after} ms` : ''}`, after);
    }
    const result = classify(a);
    if (result.ok && a.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(a.headers.get('x-ratelimit-reset-after'));
      if (Number.isFinite(reset) && reset > 0) return { ok: true, pauseMs: Math.ceil(reset * 1000) };
    }
    return result;
  }
}
