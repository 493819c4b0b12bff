/**
 * `signalbase retrain` as a user runs it (child processes) on a real embedded store: it files a
 * request (source 'cli') and prints it (--json fields below); --force and --reason are recorded;
 * while another process holds the store it stops with one line naming that pid and the curl line
 * for POST /v1/retrain; a bad flag is bad usage (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirFrom, migratedTemplate, openStoreAt, removeDir } from '../daemon/helpers.ts';
import { runCli, runWhileStoreHeld } from '../store/cli-run.ts';

const dirs: string[] = [];
let data: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  data = dataDirFrom(template);
  dirs.push(template, data);
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const env = () => ({ SIGNALBASE_DATA_DIR: data, PORT: '9911' });

describe('signalbase retrain', () => {
  it('files a forced cli request with its reason and prints it as JSON; plain output names the id', async () => {
    const r = await runCli(['retrain', '--force', '--reason', 'new listing', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ source: 'cli', force: true, reason: 'new listing', status: 'PENDING', model_version: null, error: null });
    const plain = await runCli(['retrain'], env());
    expect(plain.code, plain.stderr).toBe(0);
    const id = /retrain request ([0-9a-f-]{36}) filed/.exec(plain.stdout)?.[1];
    expect(id).toBeDefined();

    const store = await openStoreAt(data);
    try {
      const stored = await store.getRetrain(String(doc.request_id));
      expect(stored).toMatchObject({ source: 'cli', force: true, reason: 'new listing', status: 'PENDING' });
      expect(await store.getRetrain(id!)).toMatchObject({ source: 'cli', force: false, reason: null });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('names the process holding the embedded store and the API call to use instead', async () => {
    const line = await runWhileStoreHeld(data, ['retrain', '--force'], env());
    expect(line).toContain('curl -X POST http://localhost:9911/v1/retrain');
    expect(line).toContain('{"force":true}');
  }, 120_000);

  it('refuses an unknown flag with exit 2', async () => {
    const r = await runCli(['retrain', '--forse'], env());
    expect(r.code).toBe(2);
  }, 60_000);
});
