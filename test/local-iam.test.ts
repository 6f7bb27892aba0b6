/**
 * IAM on the local stack: a function calling outside its grant fails as the
 * AWS SDK sees an IAM denial (AccessDeniedException), in both runtimes. The
 * in-process runtime checks the route table's grants (`access`, `pushes`);
 * the bundle runtime checks the synthesized template's role policies, for
 * requests signed with the function's own credentials, as on Lambda.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { routeOf } from '../lambdas/routes/table';
import { runAs } from '../local/in-process';
import { ensureSynth } from '../local/synth';
import type { LocalStack } from '../local/stack';
import { startTestStack } from './support/stack';

const denied = { name: 'AccessDeniedException' };

describe('in-process runtime: the route table grants', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ runtime: 'in-process' });
  });
  afterAll(() => stack?.close());

  /** Runs `fn` as the function of `event` would, with the stack's SDK clients. */
  const as = <T>(event: string, fn: () => Promise<T>): Promise<T> =>
    runAs(routeOf(event), fn as never)({ requestContext: { routeKey: event, eventType: 'MESSAGE', connectionId: 'test' } }, {}) as Promise<T>;

  it('lets a read-only route read, and refuses it a write (also inside a transaction)', async () => {
    const { db, config } = getDeps();
    await expect(as('who am i', () => db.send(new GetCommand({ TableName: config.dataTable, Key: { pk: 'x', sk: 'y' } })))).resolves.toBeDefined();
    await expect(as('who am i', () => db.send(new PutCommand({ TableName: config.dataTable, Item: { pk: 'x', sk: 'y' } })))).rejects.toMatchObject({
      ...denied,
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining('dynamodb:PutItem on resource: arn:aws:dynamodb:local:000000000000:table/Data'),
    });
    const transaction = new TransactWriteCommand({ TransactItems: [{ Put: { TableName: config.dataTable, Item: { pk: 'x', sk: 'z' } } }] });
    await expect(as('give me dialogs', () => db.send(transaction))).rejects.toMatchObject(denied);
    await expect(as('new message', () => db.send(transaction))).resolves.toBeDefined();
  });

  it('refuses a table the route has no access to, including its indexes', async () => {
    const { db, config } = getDeps();
    // `ping` may read Connections only.
    const query = new QueryCommand({ TableName: config.dataTable, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'x' } });
    await expect(as('ping', () => db.send(query))).rejects.toMatchObject({ ...denied, message: expect.stringContaining('table/Data/index/gsi1') });
    await expect(as('give me users', () => db.send(query))).resolves.toBeDefined();
  });

  it('lets only routes that push or answer frames (a chunked ack) use the Management API', async () => {
    const { push } = getDeps();
    // An unknown id: the check comes before the call, as IAM's does; an allowed call then finds it gone.
    await expect(as('$connect', () => push.toConnection('AAAAAAAAAAA=', 'log out please', null))).rejects.toMatchObject({ ...denied, $metadata: { httpStatusCode: 403 } });
    await expect(as('$default', () => push.disconnect('AAAAAAAAAAA='))).rejects.toMatchObject(denied);
    await expect(as('new message', () => push.toConnection('AAAAAAAAAAA=', 'log out please', null))).resolves.toBe('gone');
    await expect(as('who am i', () => push.send('AAAAAAAAAAA=', ['{}']))).resolves.toBe('gone');
  });
});

describe('bundle runtime: the template\'s role policies', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    await ensureSynth();
    stack = await startTestStack({ runtime: 'bundles' });
  }, 300_000);
  afterAll(() => stack?.close());

  /** The credentials a function's instances get (AWS_ACCESS_KEY_ID): the key the local endpoints know it by. */
  const credentialsOf = (routeKey: string) => {
    const fn =
      routeKey === 'files' ? stack.bundles!.files : routeKey.startsWith('stream ') ? stack.bundles!.consumers.get(routeKey.slice(7))! : stack.bundles!.functions.get(routeKey)!;
    return { accessKeyId: `LOCAL${fn.fn.logicalId}`, secretAccessKey: 'local', sessionToken: 'local' };
  };
  const dynamoAs = (routeKey: string) =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', endpoint: stack.bundles!.aws.endpoint, credentials: credentialsOf(routeKey), maxAttempts: 1 }));

  it('allows a function what its policy allows and refuses the rest', async () => {
    await expect(dynamoAs('who am i').send(new GetCommand({ TableName: 'Data', Key: { pk: 'x', sk: 'y' } }))).resolves.toBeDefined();
    await expect(dynamoAs('who am i').send(new PutCommand({ TableName: 'Data', Item: { pk: 'x', sk: 'y' } }))).rejects.toMatchObject({
      ...denied,
      message: expect.stringContaining('is not authorized to perform: dynamodb:PutItem'),
    });
    await expect(dynamoAs('ping').send(new GetCommand({ TableName: 'Data', Key: { pk: 'x', sk: 'y' } }))).rejects.toMatchObject(denied);
    await expect(dynamoAs('new message').send(new PutCommand({ TableName: 'Data', Item: { pk: 'iam-test', sk: 'y' } }))).resolves.toBeDefined();
  });

  it('lets only the file server\'s function at the files bucket; a missing key is 404 to it (s3:ListBucket)', async () => {
    const bucket = stack.bundles!.files.fn.environment.FILES_BUCKET!;
    const s3As = (routeKey: string) => new S3Client({ region: 'local', endpoint: stack.bundles!.aws.endpoint, forcePathStyle: true, credentials: credentialsOf(routeKey), maxAttempts: 1 });
    const get = new GetObjectCommand({ Bucket: bucket, Key: 'no-such-file' });
    await expect(s3As('files').send(get)).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(s3As('new message').send(get)).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('lets only the tokenSecret functions read the token secret', async () => {
    const secretArn = stack.bundles!.functions.get('auth by token')!.fn.environment.TOKEN_SECRET_ARN!;
    const secretsAs = (routeKey: string) => new SecretsManagerClient({ region: 'local', endpoint: stack.bundles!.aws.endpoint, credentials: credentialsOf(routeKey), maxAttempts: 1 });
    const out = await secretsAs('auth by token').send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(out.SecretString).toBe(process.env.TOKEN_SECRET);
    await expect(secretsAs('who am i').send(new GetSecretValueCommand({ SecretId: secretArn }))).rejects.toMatchObject(denied);
  });

  it('lets only functions granted execute-api:ManageConnections post to connections', async () => {
    const endpoint = stack.bundles!.functions.get('who am i')!.fn.environment.MANAGEMENT_ENDPOINT!;
    // An unknown connection: 410 Gone once past IAM.
    const managementAs = (routeKey: string) => new ApiGatewayManagementApiClient({ region: 'local', endpoint, credentials: credentialsOf(routeKey), maxAttempts: 1 });
    const post = new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAA=', Data: new TextEncoder().encode('{}') });
    await expect(managementAs('$connect').send(post)).rejects.toMatchObject({ ...denied, $metadata: { httpStatusCode: 403 } });
    await expect(managementAs('new message').send(post)).rejects.toMatchObject({ name: 'GoneException' });
  });

  it('lets only the offline-recipients consumer put events, on its bus only', async () => {
    const bus = stack.bundles!.consumers.get('offline-recipients')!.fn.environment.OFFLINE_EVENT_BUS!;
    const eventsAs = (routeKey: string) => new EventBridgeClient({ region: 'local', endpoint: stack.bundles!.aws.endpoint, credentials: credentialsOf(routeKey), maxAttempts: 1 });
    const put = (EventBusName: string) =>
      new PutEventsCommand({ Entries: [{ EventBusName, Source: 'messenger', DetailType: 'iam test', Detail: JSON.stringify({ userId: 0 }) }] });
    await expect(eventsAs('stream offline-recipients').send(put(bus))).resolves.toMatchObject({ FailedEntryCount: 0 });
    await expect(eventsAs('stream offline-recipients').send(put('default'))).rejects.toMatchObject({
      ...denied,
      message: expect.stringContaining('is not authorized to perform: events:PutEvents'),
    });
    await expect(eventsAs('new message').send(put(bus))).rejects.toMatchObject(denied);
    await expect(eventsAs('stream connection-removed').send(put(bus))).rejects.toMatchObject(denied);
  });
});
