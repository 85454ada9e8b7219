/**
 * The embedded DynamoDB for local runs and integration tests: dynalite, in this process, on an
 * ephemeral loopback port. It speaks the real DynamoDB API, so the handlers' own DynamoDB adapters
 * run unchanged against it (see TOOLCHAIN.md for what dynalite lacks: transactions, PartiQL, TTL).
 */
import { mkdir } from 'node:fs/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLES, type TableDefinition } from '../../shared/store/tables';
import { localClientConfig } from './aws-config';
import { closeServer, listen, LOCAL_HOST } from './http';

export interface LocalDynamo {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** A client already pointed at the emulator. */
  client: DynamoDBClient;
  /** Closes the client, the server and (when on disk) the LevelDB store. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartLocalDynamoOptions {
  /** Keep the data on disk in this directory (LevelDB), so a later start sees it. Memory when omitted. */
  dataDir?: string;
}

export async function startLocalDynamo(opts: StartLocalDynamoOptions = {}): Promise<LocalDynamo> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  // createTableMs 0: tables still pass through CREATING (as on AWS) but become ACTIVE at once,
  // instead of dynalite's default half second per table.
  const server = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server);
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await closeServer(server);
  };

  try {
    // LevelDB opens lazily: a locked or unreadable data dir would otherwise surface on the first
    // handler call. One cheap request makes start-up fail instead, naming the directory.
    await client.send(new ListTablesCommand({ Limit: 1 }));
  } catch (err) {
    await stop().catch(() => undefined);
    const where = opts.dataDir ? ` with data dir ${opts.dataDir} (is another run using it?)` : '';
    throw new Error(`Embedded DynamoDB (dynalite) failed to start${where}`, { cause: err });
  }
  return { endpoint, client, stop };
}

export type TableEnvVar = TableDefinition['envVar'];

/** DynamoDB's rule for table names; dynalite enforces it too, but a clear message beats its 400. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/** The local table name for a definition: the prefix plus the stable id, e.g. `rewake-local-Events`. */
export function localTableName(prefix: string, def: TableDefinition): string {
  const name = `${prefix}${def.id}`;
  if (!TABLE_NAME.test(name)) {
    throw new Error(
      `Table name "${name}" is invalid: DynamoDB needs 3-255 characters from a-z A-Z 0-9 _ - . (check the prefix)`,
    );
  }
  return name;
}

function keySchema(def: TableDefinition): KeySchemaElement[] {
  const keys: KeySchemaElement[] = [{ AttributeName: def.partitionKey, KeyType: 'HASH' }];
  if (def.sortKey) keys.push({ AttributeName: def.sortKey, KeyType: 'RANGE' });
  return keys;
}

/**
 * The CreateTable input for a definition, as the CDK stack would create it: on-demand billing and
 * the same keys. Key attributes are strings: every table keys on userId and a string sort key, and
 * TableDefinition carries no key type (add one there if a numeric key ever appears).
 * TTL is not set: dynalite implements neither UpdateTimeToLive nor expiry, and readers filter
 * expired items themselves.
 */
export function createTableInput(prefix: string, def: TableDefinition): CreateTableCommandInput {
  const keys = keySchema(def);
  return {
    TableName: localTableName(prefix, def),
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keys,
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' })),
  };
}

/**
 * Creates every table in shared/store/tables.ts under `prefix` and waits until each is ACTIVE.
 * Idempotent: a table that already exists (a kept data dir) is reused, after checking that its keys
 * still match the definition, since a stale layout would fail later in confusing ways.
 * Resolves to the env var → table name map the handlers read (EVENTS_TABLE, ...).
 */
export async function createTables(
  client: DynamoDBClient,
  opts: { prefix: string },
): Promise<Record<TableEnvVar, string>> {
  const names = {} as Record<TableEnvVar, string>;
  for (const def of TABLES) {
    const input = createTableInput(opts.prefix, def);
    const name = input.TableName!;
    try {
      await client.send(new CreateTableCommand(input));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
      await assertSameKeys(client, name, def);
    }
    await waitUntilActive(client, name);
    names[def.envVar] = name;
  }
  return names;
}

async function assertSameKeys(client: DynamoDBClient, name: string, def: TableDefinition): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  const have = JSON.stringify(Table?.KeySchema ?? []);
  const want = JSON.stringify(keySchema(def));
  if (have !== want) {
    throw new Error(
      `Existing local table ${name} has key schema ${have}, but shared/store/tables.ts defines ${want}; ` +
        'delete the local data directory to start fresh',
    );
  }
}

/**
 * Polls DescribeTable. The SDK's waitUntilTableExists waits 20 s between attempts by default,
 * far too slow for a table dynalite activates within milliseconds.
 */
async function waitUntilActive(client: DynamoDBClient, name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Local table ${name} is still ${Table?.TableStatus} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
