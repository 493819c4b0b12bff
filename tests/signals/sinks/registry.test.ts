/**
 * The sink registry (src/signals/sinks/registry.ts): the kinds the SINKS_FILE schema knows are the
 * kinds the registry builds, in one order, so a new kind is its transport file, its schema entry and
 * one registry line; an unknown kind is a ConfigError naming the known ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/domain/clock.ts';
import { ConfigError } from '../../../src/errors.ts';
import { createSinks, SINK_KINDS } from '../../../src/signals/sinks/registry.ts';
import { SINK_KIND_NAMES } from '../../../src/signals/sinks/sinks-file.ts';
import { silentLogger } from '../../helpers/pg.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('sink registry', () => {
  it('builds every kind the schema knows, and names them in the schema order', () => {
    expect(SINK_KIND_NAMES).toEqual(['webhook', 'telegram', 'discord', 'slack', 'mqtt']);
    expect(Object.keys(SINK_KINDS)).toEqual([...SINK_KIND_NAMES]);
  });

  it('builds a listed kind as a queued sink under its name, and refuses an unknown kind naming the known ones', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-registry-'));
    dirs.push(dataDir);
    const deps = { dataDir, log: silentLogger(), clock: systemClock };
    const [hook] = createSinks([{ name: 'ops', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-16-chars' }], deps);
    expect([hook!.name, hook!.kind]).toEqual(['ops', 'webhook']);
    await hook!.stop();
    expect(() => createSinks([{ name: 'x', kind: 'ntfy' }], deps)).toThrow(ConfigError);
    expect(() => createSinks([{ name: 'x', kind: 'ntfy' }], deps)).toThrow('known kinds: webhook, telegram, discord, slack, mqtt');
  });
});
