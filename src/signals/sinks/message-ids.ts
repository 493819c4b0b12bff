/**
 * Which chat message carried which signal, so a chat sink can post the outcome as a reply to it,
 * also after a restart: <dataDir>/sinks/<name>/messages.ndjson, one {"id","message_id"} per line,
 * the newest `max` kept (a signal resolves within its barrier horizon; older ones are not replied
 * to). The file is rewritten once it holds twice `max` lines. A torn last line is ignored.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../log.ts';

export class MessageIds {
  private readonly map = new Map<string, number>();
  private lines = 0;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly max = 10_000,
  ) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // first run
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const v = JSON.parse(line) as { id?: unknown; message_id?: unknown };
        if (typeof v.id === 'string' && typeof v.message_id === 'number') this.remember(v.id, v.message_id);
        this.lines++;
      } catch {
        // a torn line from a crash mid-write
      }
    }
  }

  get(id: string): number | undefined {
    return this.map.get(id);
  }

  set(id: string, messageId: number): void {
    this.remember(id, messageId);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (this.lines >= this.max * 2) {
        const tmp = `${this.path}.tmp`;
        writeFileSync(tmp, [...this.map].map(([k, v]) => `${JSON.stringify({ id: k, message_id: v })}\n`).join(''));
        renameSync(tmp, this.path);
        this.lines = this.map.size;
      } else {
        appendFileSync(this.path, `${JSON.stringify({ id, message_id: messageId })}\n`);
        this.lines++;
      }
    } catch (err) {
      this.log.warn({ err, path: this.path }, 'cannot record the chat message id; its outcome will not be threaded after a restart');
    }
  }

  private remember(id: string, messageId: number): void {
    this.map.delete(id);
    this.map.set(id, messageId);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}
