/**
 * The `telegram` kind: the Bot API's sendMessage (https://core.telegram.org/bots/api#sendmessage)
 * at `<api_base>/bot<token>/sendMessage` with a compact text per event (telegram-format.ts), link
 * previews off. An outcome is sent as a reply to its signal's message (reply_parameters with
 * allow_sending_without_reply, so a deleted original does not refuse it); the signal's message_id
 * is remembered on disk (message-ids.ts), so threading survives a restart.
 *
 * Answers (https://core.telegram.org/bots/api#making-requests): {"ok":true,"result":Message} is
 * delivered; {"ok":false,"error_code":429,"parameters":{"retry_after":N}} is retried after N
 * seconds; 5xx and network errors are retried; other errors (400 bad chat or entities, 401 bad
 * token, 403 bot blocked) are dead-lettered. The token is in the URL: it never reaches an error text.
 */
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import { classify, postJson } from './http.ts';
import { MessageIds } from './message-ids.ts';
import { summarize } from './message-text.ts';
import type { SinkEvent } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import { telegramText } from './telegram-format.ts';
import { refuse, retry, type DeliveryResult, type Transport } from './transport.ts';

type TelegramSpec = Extract<SinkEntry, { kind: 'telegram' }>;

interface BotAnswer {
  ok?: boolean;
  result?: { message_id?: number };
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export class TelegramTransport implements Transport {
  private readonly ids: MessageIds;
  private readonly url: string;

  constructor(
    private readonly spec: Pick<TelegramSpec, 'name' | 'bot_token' | 'chat_id' | 'api_base' | 'parse_mode' | 'message_thread_id' | 'disable_notification'>,
    dataDir: string,
    log: Logger,
  ) {
    this.url = `${spec.api_base.replace(/\/+$/, '')}/bot${spec.bot_token}/sendMessage`;
    this.ids = new MessageIds(join(dataDir, 'sinks', spec.name, 'messages.ndjson'), log);
  }

  /** The sendMessage body for an event (exported through the class for tests and the README). */
  body(event: SinkEvent): Record<string, unknown> {
    const replyTo = event.type === 'outcome' && typeof event.data.prediction_id === 'string' ? this.ids.get(event.data.prediction_id) : undefined;
    return {
      chat_id: this.spec.chat_id,
      text: telegramText(summarize(event), this.spec.parse_mode),
      parse_mode: this.spec.parse_mode,
      link_preview_options: { is_disabled: true },
      ...(this.spec.message_thread_id !== undefined ? { message_thread_id: this.spec.message_thread_id } : {}),
      ...(this.spec.disable_notification !== undefined ? { disable_notification: this.spec.disable_notification } : {}),
      ...(replyTo !== undefined ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
    };
  }

  async deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult> {
    const out = await postJson(this.url, JSON.stringify(this.body(event)), {}, signal);
    if ('failed' in out) return out.failed;
    let answer: BotAnswer = {};
    try {
      answer = JSON.parse(out.answer.text) as BotAnswer;
    } catch {
      // not the Bot API's JSON (a proxy's error page): classify by status alone
    }
    if (out.answer.status === 200 && answer.ok === true) {
      const id = answer.result?.message_id;
      if (event.type === 'signal' && typeof id === 'number') this.ids.set(event.id, id);
      return { ok: true };
    }
    const code = answer.error_code ?? out.answer.status;
    const what = `Bot API ${code}${answer.description ? ` ${answer.description}` : ''}`;
    const after = answer.parameters?.retry_after;
    if (code === 429) return retry('rate_limited', what, typeof after === 'number' ? after * 1000 : undefined);
    if (code >= 500) return retry('server_error', what);
    if (code >= 400) return refuse(answer.ok === false ? 'rejected' : 'client_error', what);
    return classify(out.answer);
  }
}
