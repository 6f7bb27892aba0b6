/**
 * The file server's AWS adapter (HTTP API payload 2.0 events in, results out)
 * over the in-memory store, with the real capability check (`loginAuthority`,
 * as the Lambda builds it, against the local stack's DynamoDB and secret):
 * the event translation is all that differs from the local server, so that
 * is what this checks. The S3 store itself is test/s3-store.test.ts (against
 * s3rver).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAuthority } from '../lambdas/files/authority';
import { httpApiHandler, type HttpApiEvent } from '../lambdas/files/aws-handler';
import type { StorageUrls } from '../lambdas/protocol/objects';
import { MemoryFileStore } from '../local/file-server';
import type { LocalStack } from '../local/stack';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

const handler = httpApiHandler(async () => ({
  services: { store: new MemoryFileStore(), authority: loginAuthority() },
  options: { maxBytes: 1000, allowedOrigins: ['https://app.example'] },
}));

let stack: LocalStack;
/** The capability segment of a login's upload prefix, and another user's. */
let cap: string;
let otherCap: string;
const capabilityOf = (urls: StorageUrls) => urls.putRaw.split('/').at(-2)!;

beforeAll(async () => {
  stack = await startTestStack();
  for (const username of ['lambda-owner', 'lambda-other']) await createTestUser({ username, password: `${username}-secret` });
  const owner = await loggedIn(stack, 'lambda-owner', 'lambda-owner-secret');
  const other = await loggedIn(stack, 'lambda-other', 'lambda-other-secret');
  cap = capabilityOf(await owner.client.push<StorageUrls>('storage urls'));
  otherCap = capabilityOf(await other.client.push<StorageUrls>('storage urls'));
  await Promise.all([owner.client.close(), other.client.close()]);
});
afterAll(() => stack?.close());

const event = (method: string, rawPath: string, body?: Uint8Array | string, headers: Record<string, string> = {}, stage = '$default'): HttpApiEvent => ({
  rawPath,
  headers,
  ...(body === undefined
    ? {}
    : typeof body === 'string'
      ? { body, isBase64Encoded: false }
      : { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
  requestContext: { http: { method }, stage },
});

describe('HTTP API adapter', () => {
  it('decodes base64 uploads and encodes downloads', async () => {
    const id = randomUUID();
    const data = randomBytes(1000);
    expect((await handler(event('POST', `/putRaw/${cap}/${id}`, data))).statusCode).toBe(200);
    const down = await handler(event('GET', `/get/${id}`));
    expect(down).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(Buffer.from(down.body, 'base64').equals(data)).toBe(true);
  });

  it('takes a text body as UTF-8', async () => {
    const id = randomUUID();
    await handler(event('POST', `/putRaw/${cap}/${id}`, 'héllo'));
    expect(Buffer.from((await handler(event('GET', `/get/${id}`))).body, 'base64').toString('utf8')).toBe('héllo');
  });

  it('measures the decoded body against the limit', async () => {
    const id = randomUUID();
    expect((await handler(event('POST', `/putRaw/${cap}/${id}`, new Uint8Array(1001)))).statusCode).toBe(413);
    expect((await handler(event('GET', `/get/${id}`))).statusCode).toBe(404);
  });

  it('strips a named stage from the path', async () => {
    const id = randomUUID();
    await handler(event('POST', `/putRaw/${cap}/${id}`, new Uint8Array(3)));
    expect((await handler(event('GET', `/v1/get/${id}`, undefined, {}, 'v1'))).statusCode).toBe(200);
  });

  it('needs a live login to upload, and the uploader to delete', async () => {
    const id = randomUUID();
    expect((await handler(event('POST', `/putRaw/${id}`, new Uint8Array(3)))).statusCode).toBe(401);
    const forged = [...cap.split('.').slice(0, 2), otherCap.split('.')[2]].join('.'); // our claims, another signature
    expect((await handler(event('POST', `/putRaw/${forged}/${id}`, new Uint8Array(3)))).statusCode).toBe(401);
    expect((await handler(event('POST', `/putRaw/${cap}/${id}`, new Uint8Array(3)))).statusCode).toBe(200);
    expect((await handler(event('GET', `/delete/${otherCap}/${id}`))).statusCode).toBe(403);
    expect((await handler(event('GET', `/delete/${id}`))).statusCode).toBe(401);
    expect((await handler(event('GET', `/get/${id}`))).statusCode).toBe(200);
    expect((await handler(event('GET', `/delete/${cap}/${id}`))).statusCode).toBe(200);
    expect((await handler(event('GET', `/get/${id}`))).statusCode).toBe(404);
  });

  it('answers errors as text, with CORS for the allowed origin only', async () => {
    const bad = await handler(event('GET', '/get/nope', undefined, { origin: 'https://app.example' }));
    expect(bad).toMatchObject({ statusCode: 400, isBase64Encoded: false });
    expect(bad.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await handler(event('GET', '/get/nope', undefined, { origin: 'https://evil.example' }));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
