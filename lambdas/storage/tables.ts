/**
 * The DynamoDB tables, described once: the CDK stack and the local embedded
 * DynamoDB are both built from this list, so they cannot drift apart.
 */
export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export interface IndexDefinition {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** What the index holds besides the keys. @default 'ALL' */
  projection?: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Logical name: the CDK construct id and, locally, the table name. */
  name: 'Connections' | 'Data' | 'Chunks';
  /** Environment variable that carries the physical table name on AWS. */
  envVar: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: IndexDefinition[];
  /** Epoch seconds after which an item is dead (DynamoDB TTL attribute). */
  ttlAttribute: string;
  /** A DynamoDB stream of the item changes, for the consumers of lambdas/streams/table.ts. */
  stream?: 'NEW_AND_OLD_IMAGES';
}

export const TTL_ATTRIBUTE = 'expiresAt';

export const connectionsTable: TableDefinition = {
  name: 'Connections',
  envVar: 'CONNECTIONS_TABLE',
  partitionKey: { name: 'connectionId', type: 'S' },
  indexes: [
    // Sparse: only authenticated connections carry userId.
    { name: 'byUser', partitionKey: { name: 'userId', type: 'N' }, sortKey: { name: 'connectionId', type: 'S' } },
    // The connection sweeper's: expired connections by shard, oldest first; keys only (a refresh rewrites two small entries).
    { name: 'byExpiry', partitionKey: { name: 'sweepShard', type: 'N' }, sortKey: { name: 'expiresAt', type: 'N' }, projection: 'KEYS_ONLY' },
  ],
  ttlAttribute: TTL_ATTRIBUTE,
  // Expired connections (no `$disconnect`) end their presence from the REMOVE records.
  stream: 'NEW_AND_OLD_IMAGES',
};

export const dataTable: TableDefinition = {
  name: 'Data',
  envVar: 'DATA_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [
    { name: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
  ],
  ttlAttribute: TTL_ATTRIBUTE,
  // Messages and member changes are finished from their records (items derived after the commit);
  // stored message copies produce offline-recipient events (lambdas/streams/offline-recipients.ts).
  stream: 'NEW_AND_OLD_IMAGES',
};

/** Pieces of chunked client frames until the last one arrives (storage/chunks.ts); short-lived by TTL. */
export const chunksTable: TableDefinition = {
  name: 'Chunks',
  envVar: 'CHUNKS_TABLE',
  partitionKey: { name: 'frame', type: 'S' },
  sortKey: { name: 'piece', type: 'N' },
  indexes: [],
  ttlAttribute: TTL_ATTRIBUTE,
};

export const tables: TableDefinition[] = [connectionsTable, dataTable, chunksTable];
