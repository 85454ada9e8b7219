/** Profiles: read one, or stream a parallel-scan segment without holding the table in memory. */
import { GetCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Profile } from '../profiles/aggregate';

export class ProfileStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(userId: string): Promise<Profile | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { userId }, ConsistentRead: true }));
    return out.Item as Profile | undefined;
  }

  /** One segment of a parallel scan, page by page: memory stays flat in the number of users. */
  async *scanSegment(segment: number, totalSegments: number, pageSize = 500): AsyncGenerator<Profile[]> {
    const pages = paginateScan({ client: this.db, pageSize }, { TableName: this.table, Segment: segment, TotalSegments: totalSegments });
    for await (const page of pages) if (page.Items?.length) yield page.Items as Profile[];
  }
}
