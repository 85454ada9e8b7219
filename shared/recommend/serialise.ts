/**
 * The model as DynamoDB-ready records for the Models table (partition key `modelId`, sort key
 * `fittedAt`), pure so it is tested without a database. One training run (a version) is:
 *
 *   recs#<version>#i#<sku>       one per sku: its neighbours, category and name (≈1–8 KB)
 *   recs#<version>#c#<category>  one per category: its popular skus
 *   recs#<version>#p#<n>         the popular list, in chunks
 *   recs#<version>#m#<n>         the manifest: every record suffix of the version, in chunks, so an
 *                                old version can be deleted without a table scan
 *   recs#latest                  the pointer, one per version (sort key = fittedAt), written last:
 *                                readers take the newest, so they never see a half-written model
 *
 * Every record of a version has sort key = the version's fittedAt. A user's recommendations then
 * need one Query (the newest pointer) and one BatchGetItem with exact keys: the user's recent skus,
 * their top categories and the popular chunks. Per-sku partitions also spread the read load.
 * Lists are JSON strings: DynamoDB bills attribute names per list element, a string costs its bytes.
 */
import type { ItemEntry, ModelParams, ModelStats, Neighbour, RecModel } from './types';

export const LATEST_ID = 'recs#latest';
/** DynamoDB's limit is 400 KB per item; stay well below it, keys and attribute names included. */
export const MAX_RECORD_BYTES = 300_000;

export interface StoredRecord {
  modelId: string;
  fittedAt: string;
  [attribute: string]: unknown;
}

export interface Pointer {
  version: string;
  fittedAt: string;
  popularChunks: number;
  manifestChunks: number;
  params: ModelParams;
  stats: ModelStats;
}

export const itemId = (version: string, sku: string) => `recs#${version}#i#${sku}`;
export const categoryId = (version: string, category: string) => `recs#${version}#c#${category}`;
export const popularId = (version: string, chunk: number) => `recs#${version}#p#${chunk}`;
export const manifestId = (version: string, chunk: number) => `recs#${version}#m#${chunk}`;

/** Similarities keep 6 significant digits: plenty for ranking, and a third of the bytes. */
const compact = (score: number) => Number(score.toPrecision(6));

export function modelRecords(model: RecModel): { records: StoredRecord[]; pointer: StoredRecord } {
  const { version, fittedAt } = model;
  const records: StoredRecord[] = [];
  for (const [sku, entry] of model.items) {
    const record: StoredRecord = { modelId: itemId(version, sku), fittedAt, nb: JSON.stringify(entry.neighbours.map(([s, v]) => [s, compact(v)])) };
    if (entry.category !== undefined) record.c = entry.category;
    if (entry.name !== undefined) record.n = entry.name;
    records.push(record);
  }
  for (const [category, skus] of model.popularByCategory) records.push({ modelId: categoryId(version, category), fittedAt, skus: JSON.stringify(skus) });
  const popular = chunks(model.popular);
  popular.forEach((skus, n) => records.push({ modelId: popularId(version, n), fittedAt, skus: JSON.stringify(skus) }));
  const suffixes = records.map((r) => r.modelId.slice(`recs#${version}#`.length));
  const manifest = chunks(suffixes);
  manifest.forEach((list, n) => records.push({ modelId: manifestId(version, n), fittedAt, suffixes: JSON.stringify(list) }));
  for (const r of records) {
    const bytes = recordBytes(r);
    if (bytes > MAX_RECORD_BYTES) throw new RangeError(`record ${r.modelId} would be ${bytes} bytes (limit ${MAX_RECORD_BYTES}): lower recommendations.neighbours`);
  }
  const pointer: StoredRecord = {
    modelId: LATEST_ID,
    fittedAt,
    version,
    popularChunks: popular.length,
    manifestChunks: manifest.length,
    params: JSON.stringify(model.params, (_, v) => (v === Infinity ? 'Infinity' : v)),
    stats: model.stats,
  };
  return { records, pointer };
}

export function decodePointer(record: Record<string, unknown>): Pointer {
  return {
    version: String(record.version),
    fittedAt: String(record.fittedAt),
    popularChunks: Number(record.popularChunks),
    manifestChunks: Number(record.manifestChunks),
    params: JSON.parse(String(record.params), (_, v) => (v === 'Infinity' ? Infinity : v)) as ModelParams,
    stats: record.stats as ModelStats,
  };
}

export function decodeItem(record: Record<string, unknown>): ItemEntry {
  const entry: ItemEntry = { neighbours: JSON.parse(String(record.nb)) as Neighbour[] };
  if (typeof record.c === 'string') entry.category = record.c;
  if (typeof record.n === 'string') entry.name = record.n;
  return entry;
}

export function decodeList(record: Record<string, unknown>, attribute: 'skus' | 'suffixes' = 'skus'): string[] {
  return JSON.parse(String(record[attribute])) as string[];
}

/**
 * A model from the pointer and whichever records were read: all of them (a full load) or only a
 * user's (their skus, their categories, the popular chunks).
 */
export function assembleModel(pointer: Pointer, records: Iterable<Record<string, unknown>>): RecModel {
  const prefix = `recs#${pointer.version}#`;
  const items = new Map<string, ItemEntry>();
  const popularByCategory = new Map<string, string[]>();
  const popularChunks: string[][] = [];
  for (const record of records) {
    const id = String(record.modelId);
    if (!id.startsWith(prefix)) continue;
    const rest = id.slice(prefix.length);
    const kind = rest.slice(0, 2);
    const key = rest.slice(2);
    if (kind === 'i#') items.set(key, decodeItem(record));
    else if (kind === 'c#') popularByCategory.set(key, decodeList(record));
    else if (kind === 'p#') popularChunks[Number(key)] = decodeList(record);
  }
  return {
    version: pointer.version,
    fittedAt: pointer.fittedAt,
    items,
    popular: popularChunks.flatMap((c) => c ?? []),
    popularByCategory,
    params: pointer.params,
    stats: pointer.stats,
  };
}

/** Splits a list of strings into chunks whose JSON stays under the record budget. */
export function chunks(list: string[], maxBytes = MAX_RECORD_BYTES - 1_000): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const s of list) {
    const size = utf8Bytes(JSON.stringify(s)) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 2;
    }
    current.push(s);
    bytes += size;
  }
  if (current.length > 0 || out.length === 0) out.push(current);
  return out;
}

/** DynamoDB's item size, closely enough: attribute names and UTF-8 values. */
export function recordBytes(record: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(record)) bytes += utf8Bytes(name) + utf8Bytes(typeof value === 'string' ? value : JSON.stringify(value));
  return bytes;
}

const encoder = new TextEncoder();
const utf8Bytes = (s: string) => encoder.encode(s).length;
