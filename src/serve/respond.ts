/** Writing answers: JSON bodies, the error envelope, and refusals on a raw upgrade socket. */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from './errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
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
