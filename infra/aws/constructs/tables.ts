import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENTS_TABLE, MODELS_TABLE, PROFILES_TABLE, SENDS_TABLE, TABLES, type TableDefinition } from '../../../shared/store/tables';

export interface TablesProps {
  /**
   * What happens to the tables when they leave the stack. Customer data outlives any one
   * deployment, so the tables stay behind unless a throwaway stack says otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The DynamoDB tables (events, profiles, sends, models), built from the plain-data definitions in shared/store/tables.ts that
 * the local runtime also uses, so AWS and local runs share keys and TTL attribute.
 *
 * TableV2 (AWS::DynamoDB::GlobalTable) rather than Table: it is the construct CDK recommends for new
 * tables, and a replica Region can be added later as a property change, whereas moving from Table
 * to TableV2 afterwards means replacing (or retain-and-import of) tables full of data. The price:
 * cdk-nag's DynamoDB rules only inspect AWS::DynamoDB::Table, so tests/infra/tables.test.ts asserts
 * PITR, encryption and billing itself.
 */
export class Tables extends Construct {
  public readonly events: TableV2;
  public readonly profiles: TableV2;
  public readonly sends: TableV2;
  /** Fitted model parameters: written by the weekly fit, read by the scan's plan phase. */
  public readonly models: TableV2;
  /** Every table by its definition id, for loops (outputs, grants). */
  public readonly all: ReadonlyArray<{ definition: TableDefinition; table: TableV2 }>;

  constructor(scope: Construct, id: string, props: TablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.all = TABLES.map((definition) => ({ definition, table: this.table(definition, removalPolicy) }));
    this.events = this.byId(EVENTS_TABLE.id);
    this.profiles = this.byId(PROFILES_TABLE.id);
    this.sends = this.byId(SENDS_TABLE.id);
    this.models = this.byId(MODELS_TABLE.id);
  }

  /**
   * Env var → table name for just the tables a handler uses, the contract it reads through
   * shared/env.ts. A function is told only the names of tables it is granted access to.
   */
  environmentFor(...ids: ReadonlyArray<TableDefinition['id']>): Record<string, string> {
    return Object.fromEntries(
      this.all.filter(({ definition }) => ids.includes(definition.id)).map(({ definition, table }) => [definition.envVar, table.tableName]),
    );
  }

  private table(definition: TableDefinition, removalPolicy: RemovalPolicy): TableV2 {
    // The construct id is the definition id: renaming it would replace the table and its data.
    return new TableV2(this, definition.id, {
      // Keys are strings everywhere in shared/store (userId, composite sort keys like E#<eventId>).
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      sortKey: definition.sortKey ? { name: definition.sortKey, type: AttributeType.STRING } : undefined,
      // Traffic is a daily scan burst, a weekly fit and app-driven ingest: on-demand, nothing to size.
      billing: Billing.onDemand(),
      // AWS-managed key (aws/dynamodb): encrypted at rest with CloudTrail-visible key use, without a
      // customer key's monthly cost or a key policy to keep in step with every grant.
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: definition.timeToLiveAttribute,
      removalPolicy,
    });
  }

  private byId(id: TableDefinition['id']): TableV2 {
    const found = this.all.find(({ definition }) => definition.id === id);
    if (!found) throw new Error(`shared/store/tables.ts has no table with id ${id}`);
    return found.table;
  }
}
