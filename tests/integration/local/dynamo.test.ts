import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables, startLocalDynamo, type LocalDynamo } from '../../../infra/local/dynamo';
import { TABLES } from '../../../shared/store/tables';

describe('local DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  it('listens on an ephemeral loopback port', () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.endpoint).not.toMatch(/:0$/);
  });

  it('creates every table in shared/store/tables.ts with its keys and on-demand billing', async () => {
    const names = await createTables(dynamo.client, { prefix: 'defs-' });

    expect(names).toEqual({ EVENTS_TABLE: 'defs-Events', PROFILES_TABLE: 'defs-Profiles', SENDS_TABLE: 'defs-Sends', MODELS_TABLE: 'defs-Models' });
    for (const def of TABLES) {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: names[def.envVar] }));
      const expectedKeys = [{ AttributeName: def.partitionKey, KeyType: 'HASH' }];
      if (def.sortKey) expectedKeys.push({ AttributeName: def.sortKey, KeyType: 'RANGE' });
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual(expectedKeys);
      expect(Table?.AttributeDefinitions).toEqual(
        expect.arrayContaining(expectedKeys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' }))),
      );
      expect(Table?.AttributeDefinitions).toHaveLength(expectedKeys.length);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('reuses existing tables and their items when asked to create them again', async () => {
    const names = await createTables(dynamo.client, { prefix: 'again-' });
    await dynamo.client.send(
      new PutItemCommand({ TableName: names.PROFILES_TABLE, Item: { userId: { S: 'u-1' }, logins: { N: '3' } } }),
    );

    const second = await createTables(dynamo.client, { prefix: 'again-' });

    expect(second).toEqual(names);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: names.PROFILES_TABLE, Key: { userId: { S: 'u-1' } } }),
    );
    expect(Item?.logins).toEqual({ N: '3' });
  });

  it('refuses to reuse a table whose keys differ from the definition', async () => {
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'stale-Events',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );

    await expect(createTables(dynamo.client, { prefix: 'stale-' })).rejects.toThrow(/stale-Events has key schema/);
  });

  it('rejects a prefix that makes an invalid table name', async () => {
    await expect(createTables(dynamo.client, { prefix: 'has space-' })).rejects.toThrow(/Table name "has space-Events" is invalid/);
  });
});

describe('local DynamoDB with a data dir', () => {
  it('keeps tables and items across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rewake-dynamo-'));
    try {
      const first = await startLocalDynamo({ dataDir });
      try {
        const names = await createTables(first.client, { prefix: 'kept-' });
        await first.client.send(
          new PutItemCommand({ TableName: names.SENDS_TABLE, Item: { userId: { S: 'u-7' }, sk: { S: 'winback#0' } } }),
        );
      } finally {
        await first.stop();
      }

      const second = await startLocalDynamo({ dataDir });
      try {
        const names = await createTables(second.client, { prefix: 'kept-' });
        const { Item } = await second.client.send(
          new GetItemCommand({ TableName: names.SENDS_TABLE, Key: { userId: { S: 'u-7' }, sk: { S: 'winback#0' } } }),
        );
        expect(Item).toEqual({ userId: { S: 'u-7' }, sk: { S: 'winback#0' } });
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('starts empty in memory: nothing survives a restart without a data dir', async () => {
    const first = await startLocalDynamo();
    const names = await createTables(first.client, { prefix: 'mem-' });
    await first.client.send(new PutItemCommand({ TableName: names.PROFILES_TABLE, Item: { userId: { S: 'u-1' } } }));
    await first.stop();

    const second = await startLocalDynamo();
    try {
      await expect(
        second.client.send(new GetItemCommand({ TableName: names.PROFILES_TABLE, Key: { userId: { S: 'u-1' } } })),
      ).rejects.toThrow(/non-existent table|not found/i);
    } finally {
      await second.stop();
    }
  });
});
