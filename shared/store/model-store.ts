/** Fitted model parameters: every fit is kept (an audit trail); scans read the latest. */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredModel } from '../dormancy/customer-model';

export class ModelStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(model: StoredModel): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: model }));
  }

  async latest(modelId: StoredModel['modelId'] = 'btyd'): Promise<StoredModel | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'modelId = :m',
        ExpressionAttributeValues: { ':m': modelId },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0] as StoredModel | undefined;
  }
}
