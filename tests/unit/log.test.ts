import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

describe('logger', () => {
  it('redacts secrets at the top level and one level down', () => {
    const { lines, log } = capture();
    log.info({ password: 'hunter2', apiKey: 'sb_topsecret', store: { serviceRoleKey: 'eyJsecret', databaseUrl: 'postgres://u:pw@h/db' } }, 'hello');
    log.info({ headers: { authorization: 'Bearer sb_abc' } }, 'request');
    const text = lines.join('');
    for (const secret of ['hunter2', 'sb_topsecret', 'eyJsecret', 'postgres://u:pw@h/db', 'Bearer sb_abc']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(JSON.parse(lines[0]!).msg).toBe('hello');
  });

  it('puts errors under err with their stack and code', () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error('boom'), { code: 'E_TEST' });
    log.error({ err }, 'failed');
    const rec = JSON.parse(lines[0]!);
    expect(rec.err.message).toBe('boom');
    expect(rec.err.code).toBe('E_TEST');
    expect(rec.err.stack).toContain('boom');
  });
});
