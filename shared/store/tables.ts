/**
 * DynamoDB table definitions, as plain data. The CDK stack (infra/aws) and the local runtime
 * (infra/local) both build their tables from these, so local runs use exactly the keys, indexes
 * and TTL attribute that AWS does.
 */
export interface TableDefinition {
  /** Stable logical id: the CDK construct id and the local table name's suffix. Never rename. */
  id: 'Events' | 'Profiles' | 'Sends' | 'Models';
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, for DynamoDB TTL. Readers still filter expired items. */
  timeToLiveAttribute?: string;
  /** Environment variable through which handlers learn the table's name. */
  envVar: 'EVENTS_TABLE' | 'PROFILES_TABLE' | 'SENDS_TABLE' | 'MODELS_TABLE';
}

/**
 * events: one item per raw event (sk `E#<eventId>`, expires after the retention period) and one
 * "day bucket" per user and event day (sk `D#<yyyy-mm-dd>`, kept) holding the compact facts that
 * profiles are folded from. See docs/design.md, "Exactly-once ingest".
 */
export const EVENTS_TABLE: TableDefinition = {
  id: 'Events',
  partitionKey: 'userId',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  envVar: 'EVENTS_TABLE',
};

/** profiles: one item per user, the aggregates every later stage reads; or a deletion marker. */
export const PROFILES_TABLE: TableDefinition = {
  id: 'Profiles',
  partitionKey: 'userId',
  envVar: 'PROFILES_TABLE',
};

/** sends: the delivery ledger, one item per (user, campaign#step): intent, outcome, holdout. */
export const SENDS_TABLE: TableDefinition = {
  id: 'Sends',
  partitionKey: 'userId',
  sortKey: 'sk',
  envVar: 'SENDS_TABLE',
};

/** models: fitted customer-base model parameters, one item per fit (latest first by fittedAt). */
export const MODELS_TABLE: TableDefinition = {
  id: 'Models',
  partitionKey: 'modelId',
  sortKey: 'fittedAt',
  envVar: 'MODELS_TABLE',
};

export const TABLES = [EVENTS_TABLE, PROFILES_TABLE, SENDS_TABLE, MODELS_TABLE] as const;
