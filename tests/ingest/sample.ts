/** The bundled real candles (data/sample, see its README) as raw rows, for expected values. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_DATA_DIR } from '../../src/ingest/feed-spec.ts';

export const SAMPLE_FILES = ['DASH_BTC-5m.json', 'LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'ZEC_BTC-5m.json'] as const;

export function samplePath(file: string): string {
  return join(SAMPLE_DATA_DIR, file);
}

export type Row = [number, number, number, number, number, number];

export function sampleRows(file: string): Row[] {
  return JSON.parse(readFileSync(samplePath(file), 'utf8')) as Row[];
}
