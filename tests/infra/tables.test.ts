import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../shared/store/tables';
import { logicalId, synthRewake } from './helpers';

const { stack, template } = synthRewake();
const tableOf = (id: string) => {
  const found = stack.tables.all.find(({ definition }) => definition.id === id);
  if (!found) throw new Error(`no table ${id}`);
  return found.table;
};

describe('tables', () => {
  it('creates exactly one table per definition in shared/store/tables.ts', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLES.length);
  });

  it('uses each definition id as the table construct id, so logical ids stay stable', () => {
    for (const definition of TABLES) {
      const table = tableOf(definition.id);
      expect(table.node.id).toBe(definition.id);
      expect(table.node.path).toBe(`Rewake/Tables/${definition.id}`);
    }
  });

  it('keys each table exactly as its definition does', () => {
    for (const definition of TABLES) {
      const keySchema = [{ AttributeName: definition.partitionKey, KeyType: 'HASH' }];
      if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey, KeyType: 'RANGE' });
      const resource = template.toJSON().Resources[logicalId(tableOf(definition.id))];
      expect(resource.Properties.KeySchema).toEqual(keySchema);
    }
  });

  it('bills every table on demand', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    for (const table of Object.values(tables)) expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('encrypts every table at rest with KMS', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    for (const table of Object.values(tables)) {
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    }
  });

  it('turns point-in-time recovery on for every table', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    for (const table of Object.values(tables)) {
      expect(table.Properties.Replicas).toEqual([
        expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ]);
    }
  });

  it('sets TTL on the attribute a definition names, and only there', () => {
    for (const definition of TABLES) {
      const resource = template.toJSON().Resources[logicalId(tableOf(definition.id))];
      if (definition.timeToLiveAttribute) {
        expect(resource.Properties.TimeToLiveSpecification).toEqual({
          AttributeName: definition.timeToLiveAttribute,
          Enabled: true,
        });
      } else {
        expect(resource.Properties.TimeToLiveSpecification).toBeUndefined();
      }
    }
    expect(TABLES.some((d) => d.timeToLiveAttribute)).toBe(true);
  });

  it('keeps every table when it leaves the stack or is replaced', () => {
    template.allResources('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('holds the models table, keyed by modelId and fittedAt, encrypted and recoverable like the others', () => {
    const models = template.toJSON().Resources[logicalId(stack.tables.models)];
    expect(stack.tables.models.node.path).toBe('Rewake/Tables/Models');
    expect(models.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'modelId', KeyType: 'HASH' },
        { AttributeName: 'fittedAt', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect(models.DeletionPolicy).toBe('Retain');
    expect(template.toJSON().Outputs.ModelsTableName.Value).toEqual({ Ref: logicalId(stack.tables.models) });
  });

  it('tells a function only the names of the tables it asks for', () => {
    expect(Object.keys(stack.tables.environmentFor('Profiles', 'Models')).sort()).toEqual(['MODELS_TABLE', 'PROFILES_TABLE']);
    expect(stack.tables.environmentFor()).toEqual({});
  });

  it('lets no one but the stack name tables, so two stacks never collide', () => {
    template.allResourcesProperties('AWS::DynamoDB::GlobalTable', { TableName: Match.absent() });
  });
});
