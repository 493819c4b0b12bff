/**
 * Which alert conditions are firing, kept on disk so that "one alert when a condition starts, one
 * when it clears" holds across a restart: a condition still holding after the restart is not alerted
 * again, and one that cleared while the daemon was down is resolved by the first check that sees it
 * clear (under the same event ids, `alert:<condition>:<subject>:<fired at>[:resolved]`).
 *
 * The file is <dataDir>/sinks/alerts-state.json (beside the sinks' journal directories; a sink name
 * cannot contain a dot, so it never collides with one), mode 0600, `{"version":1,"firing":[AlertData…]}`.
 * It is rewritten whole (temporary file, then rename) at every change; changes are rare (a condition
 * starting or clearing). An unreadable file is logged and treated as empty: at worst a condition is
 * alerted once more.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../../log.ts';
import type { AlertData } from './sink.ts';

export const alertStatePath = (dataDir: string) => join(dataDir, 'sinks', 'alerts-state.json');

const isAlert = (v: unknown): v is AlertData => {
  const a = v as Partial<AlertData> | null;
  return typeof a === 'object' && a !== null && typeof a.condition === 'string' && typeof a.subject === 'string' && typeof a.at === 'number' && typeof a.message === 'string' && ['info', 'warning', 'critical'].includes(a.severity as string);
};

export class AlertState {
  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** The conditions firing when the file was last written; [] on a first run. */
  load(): AlertData[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ err, path: this.path }, 'cannot read the alert state; open conditions may be alerted again');
      return [];
    }
    try {
      const doc = JSON.parse(text) as { firing?: unknown };
      return Array.isArray(doc.firing) ? doc.firing.filter(isAlert).map((a) => ({ ...a, state: 'firing' as const })) : [];
    } catch (err) {
      this.log.warn({ err, path: this.path }, 'the alert state file is not valid JSON; open conditions may be alerted again');
      return [];
    }
  }

  save(firing: readonly AlertData[]): void {
    const tmp = `${this.path}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      writeFileSync(tmp, `${JSON.stringify({ version: 1, firing })}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600); // a leftover temporary file keeps its old mode otherwise
      renameSync(tmp, this.path);
    } catch (err) {
      this.log.warn({ err, path: this.path }, 'cannot write the alert state; after a restart an open condition may be alerted again');
    }
  }
}
