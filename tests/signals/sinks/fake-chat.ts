/**
 * Fakes of the chat services' webhook endpoints on loopback, answering with their documented shapes:
 *  - Telegram Bot API (https://core.telegram.org/bots/api#making-requests, #sendmessage,
 *    #formatting-options): POST /bot<token>/sendMessage → {"ok":true,"result":{"message_id",…}};
 *    errors {"ok":false,"error_code","description","parameters":{"retry_after"}}; a text whose
 *    MarkdownV2 leaves a reserved character unescaped, or whose HTML has a bare `<`/`&` or an
 *    unsupported tag, is refused with 400 "Bad Request: can't parse entities: …", as Telegram does.
 *  - Discord Execute Webhook (https://discord.com/developers/docs/resources/webhook#execute-webhook,
 *    /topics/rate-limits): 200 with the message under ?wait=true, X-RateLimit-* headers; 429 with
 *    {"message","retry_after":<seconds float>,"global"}.
 *  - Slack incoming webhooks (https://api.slack.com/messaging/webhooks, /apis/rate-limits): 200 "ok";
 *    429 with Retry-After; 400 "invalid_payload".
 */
import type { ServerResponse } from 'node:http';
import { Receiver, type Received } from './fixtures.ts';

const MDV2_RESERVED = new Set('_*[]()~`>#+-=|{}.!'.split(''));

/** Why Telegram would refuse this MarkdownV2 text, or null (only the entities we emit: *bold*, `code`). */
export function markdownV2Error(text: string): string | null {
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '`') inCode = !inCode;
    else if (inCode) continue;
    else if (c === '*') continue;
    else if (MDV2_RESERVED.has(c)) return `Character '${c}' is reserved and must be escaped with the preceding '\\'`;
  }
  return inCode ? "Can't find end of Code entity" : null;
}

export function htmlError(text: string): string | null {
  const stripped = text.replace(/<\/?(b|code)>/g, '');
  if (/[<>]/.test(stripped)) return 'Unsupported start tag';
  if (/&(?!(amp|lt|gt|quot);)/.test(stripped)) return 'Unsupported entity';
  return null;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void =>
  void
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

export class FakeTelegram extends Receiver {
  /** Answer 429 to the next N sendMessage calls. */
  throttle = 0;
  private nextId = 100;
  readonly sent: { body: Record<string, unknown>; message_id: number }[] = [];

  constructor(readonly token: string) {
    super();
    this.answer = (r, res) => this.handle(r, res);
  }

  private handle(r: Received, res: ServerResponse): void {
    if (r.url !== `/bot${this.token}/sendMessage`) return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const body = JSON.parse(r.body) as Record<string, unknown>;
    if (this.throttle > 0) {
      this.throttle--;
      return json(res, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    }
    if (typeof body.text !== 'string' || body.chat_id === undefined) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
    const bad = body.parse_mode === 'MarkdownV2' ? markdownV2Error(body.text) : body.parse_mode === 'HTML' ? htmlError(body.text) : null;
    if (bad) return json(res, 400, { ok: false, error_code: 400, description: `Bad Request: can't parse entities: ${bad}` });
    const message_id = this.nextId++;
    this.sent.push({ body, message_id });
    json(res, 200, { ok: true, result: { message_id, date: Math.floor(Date.now() / 1000), chat: { id: body.chat_id, type: 'group' }, text: body.text } });
  }
}

export class FakeDiscord extends Receiver {
  throttle = 0;
  /** X-RateLimit-Remaining to report (the bucket's state). */
  remaining = 5;
  readonly sent: Record<string, unknown>[] = [];

  constructor() {
    super();
    this.answer = (r, res) => {
      if (!r.url.includes('wait=true')) return res.writeHead(204).end();
      if (this.throttle > 0) {
        this.throttle--;
        return json(res, 429, { message: 'You are being rate limited.', retry_after: 1.0, global: false }, { 'retry-after': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '1.000' });
      }
      const body = JSON.parse(r.body) as Record<string, unknown>;
      const embeds = body.embeds as { title?: string }[] | undefined;
      if (!embeds?.length || !embeds[0]!.title || embeds[0]!.title.length > 256) return json(res, 400, { code: 50035, message: 'Invalid Form Body' });
      this.sent.push(body);
      json(res, 200, { id: String(this.sent.length), embeds }, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': String(this.remaining), 'x-ratelimit-reset-after': '1.000' });
    };
  }
}

export class FakeSlack extends Receiver {
  throttle = 0;
  readonly sent: Record<string, unknown>[] = [];

  constructor() {
    super();
    this.answer = (r, res) => {
      if (this.throttle > 0) {
        this.throttle--;
        return res.writeHead(429, { 'retry-after': '1' }).end('rate_limited');
      }
      const body = JSON.parse(r.body) as Record<string, unknown>;
      if (typeof body.text !== 'string' && !Array.isArray(body.blocks)) return res.writeHead(400).end('invalid_payload');
      this.sent.push(body);
      res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
    };
  }
}
