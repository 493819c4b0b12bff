/**
 * The `webhook` kind: POST of the event JSON `{"type","id","data"}` (DESIGN.md "Sinks") with
 *   X-Signalbase-Event: <type>
 *   X-Signalbase-Id: <event id>            also sent as Idempotency-Key
 *   X-Signalbase-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with the sink's secret>
 * A receiver verifies by computing the HMAC over the raw body it read (not a re-serialisation) and
 * comparing in constant time, and dedupes on the id (a resend after a restart carries the same id
 * and the same body). 2xx delivered; 429/5xx/network retried; other 4xx dead-lettered.
 */
import { createHmac } from 'node:crypto';
import { classify, postJson } from './http.ts';
import type { SinkEvent } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import type { DeliveryResult, Transport } from './transport.ts';

type WebhookSpec = Extract<SinkEntry, { kind: 'webhook' }>;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function webhookBody(event: SinkEvent): string {
  return JSON.stringify({ type: event.type, id: event.id, data: event.data });
}

export class WebhookTransport implements Transport {
  constructor(private readonly spec: Pick<WebhookSpec, 'url' | 'secret' | 'headers'>) {}

  async deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult> {
    const body = webhookBody(event);
    const out = await postJson(
      this.spec.url,
      body,
      {
        ...this.spec.headers,
        'x-signalbase-event': event.type,
        'x-signalbase-id': event.id,
        'idempotency-key': event.id,
        'x-signalbase-signature': signBody(this.spec.secret, body),
      },
      signal,
    );
    return 'failed' in out ? out.failed : classify(out.answer);
  }
}
