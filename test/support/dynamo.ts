/** SDK clients of an embedded DynamoDB (local/embedded-dynamo.ts): any credentials, no retries, so a failure shows at once. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function localDynamo(endpoint: string): { raw: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  return { raw, doc: DynamoDBDocumentClient.from(raw) };
}
