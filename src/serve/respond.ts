/** Writing answers: JSON bodies, the error envelope, and refusals on a raw upgrade socket. */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from './errors.ts';

/**
 * On every answer: no MIME sniffing, never framed (clickjacking), no Referer leaving the page (a
 * dashboard URL carries no key, but a symbol or an id is nobody else's business).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The dashboard's pages: scripts and styles from this origin only (no inline script, no eval), data
 * only from this origin (fetch and the stream's websocket), no frames, no plugins, no <base>.
 * Inline styles stay allowed: the chart library sizes its canvases through style attributes.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function errorBody(err: ApiError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, errorBody(err), err.headers);
}

/** Answers an upgrade request with a plain HTTP error and destroys the socket. */
export function rejectUpgrade(socket: Duplex, err: ApiError): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(errorBody(err));
  const head = [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(err.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}
