/**
 * Client → server websocket messages: parsed, validated and normalised, or refused with the error
 * frame's code and message. Malformed messages never close the connection.
 */
import type { RawData } from 'ws';
import { clientMessage, describeIssues } from './schemas.ts';
import { normalizeSymbol } from './symbols.ts';

/** `symbols: null` means all symbols (omitted, or ["*"]). */
export type ClientCommand =
  | { type: 'subscribe'; symbols: string[] | null; since: string | undefined }
  | { type: 'unsubscribe'; symbols: string[] | null };

export type ParsedMessage = { ok: true; command: ClientCommand } | { ok: false; code: string; message: string };

const refuse = (code: string, message: string): ParsedMessage => ({ ok: false, code, message });

export function parseClientMessage(data: RawData, isBinary: boolean, knownSymbols: readonly string[]): ParsedMessage {
  if (isBinary) return refuse('INVALID_MESSAGE', 'messages must be JSON text frames');
  let json: unknown;
  try {
    json = JSON.parse(rawText(data));
  } catch {
    return refuse('MALFORMED_JSON', 'the message is not valid JSON');
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    return refuse(
      'INVALID_MESSAGE',
      `${describeIssues(parsed.error)}; expected {"type":"subscribe","symbols"?,"since"?} or {"type":"unsubscribe","symbols"?}`,
    );
  }
  const msg = parsed.data;
  let symbols: string[] | null = null;
  if (msg.symbols !== undefined && !msg.symbols.includes('*')) {
    symbols = [];
    for (const raw of msg.symbols) {
      const s = normalizeSymbol(raw, knownSymbols);
      if (s === null) return refuse('INVALID_SYMBOL', 'symbols must look like LTC/BTC (or LTC-BTC, or a tracked LTCBTC), or be ["*"]');
      symbols.push(s);
    }
  }
  return {
    ok: true,
    command: msg.type === 'subscribe' ? { type: 'subscribe', symbols, since: msg.since } : { type: 'unsubscribe', symbols },
  };
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
