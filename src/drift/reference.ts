/**
 * The drift reference a check compares against, validated at the edge: model/drift-reference.ts
 * writes it into the artifact's metadata.extra.driftReference, the test-window figures come from
 * the model record. A model trained before references existed (or a corrupt one) gives null, which
 * the check reports as status 'no_reference', never as an error.
 */
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import type { ModelRecord } from '../store/types.ts';

const finiteArray = z.array(z.number().refine(Number.isFinite));

const referenceSchema = z.object({
  features: z.object({
    space: z.literal('transformed'),
    rows: z.number(),
    samples: z.record(z.string(), finiteArray),
    edges: z.record(z.string(), finiteArray),
  }),
  predictions: z
    .object({
      samples: z.number(),
      classMix: z.object({ BUY: z.number(), SELL: z.number(), HOLD: z.number() }),
      confidence: finiteArray,
      confidenceEdges: finiteArray,
    })
    .nullish(),
});

export type DriftReferenceData = z.infer<typeof referenceSchema>;

/** What a check needs of a model: its drift reference and its test-window figures. */
export interface ModelReference {
  version: string;
  reference: DriftReferenceData | null;
  /** Test accuracy and win rate (0..1); null when the model was never evaluated. */
  test: { accuracy: number; winRate: number; trades: number } | null;
}

/** The reference inside artifact metadata (`extra.driftReference`), or null when absent or malformed. */
export function parseDriftReference(metadata: unknown): DriftReferenceData | null {
  const extra = (metadata as { extra?: { driftReference?: unknown } } | null)?.extra;
  const parsed = referenceSchema.safeParse(extra?.driftReference);
  if (!parsed.success) return null;
  const f = parsed.data.features;
  return Object.keys(f.samples).length > 0 ? parsed.data : null;
}

export function testFigures(record: ModelRecord | null): ModelReference['test'] {
  const m = record?.metrics;
  if (!m || !Number.isFinite(m.accuracy) || !Number.isFinite(m.winRate)) return null;
  return { accuracy: m.accuracy, winRate: m.winRate, trades: m.trades };
}

/** Reads a stored model's reference (its metadata.json artifact; no tensors are built). */
export async function loadModelReference(store: Pick<Store, 'getModel' | 'getArtifacts'>, version: string): Promise<ModelReference> {
  const [record, blobs] = await Promise.all([store.getModel(version), store.getArtifacts(version)]);
  const meta = blobs.find((b) => b.name === 'metadata.json');
  let reference: DriftReferenceData | null = null;
  if (meta) {
    try {
      reference = parseDriftReference(JSON.parse(new TextDecoder().decode(meta.bytes)));
    } catch {
      reference = null; // unreadable metadata: the check says "no reference"
    }
  }
  return { version, reference, test: testFigures(record) };
}
