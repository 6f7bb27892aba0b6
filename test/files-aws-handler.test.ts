/**
 * The file server's AWS adapter (HTTP API payload 2.0 events in, results out)
 * over the in-memory store: the event translation is all that differs from
 * the local server, so that is what this checks. The S3 store itself is
 * test/s3-store.test.ts (against s3rver).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { httpApiHandler, type HttpApiEvent } from '../lambdas/files/aws-handler';
import { MemoryFileStore } from '../local/file-server';

const handler = httpApiHandler(async () => ({ store: new MemoryFileStore(), options: { maxBytes: 1000, allowedOrigins: ['https://app.example'] } }));

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
    expect((await handler(event('POST', `/putRaw/${id}`, data))).statusCode).toBe(200);
    const down = await handler(event('GET', `/get/${id}`));
    expect(down).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(Buffer.from(down.body, 'base64').equals(data)).toBe(true);
  });

  it('takes a text body as UTF-8', async () => {
    const id = randomUUID();
    await handler(event('POST', `/putRaw/${id}`, 'héllo'));
    expect(Buffer.from((await handler(event('GET', `/get/${id}`))).body, 'base64').toString('utf8')).toBe('héllo');
  });

  it('measures the decoded body against the limit', async () => {
    const id = randomUUID();
    expect((await handler(event('POST', `/putRaw/${id}`, new Uint8Array(1001)))).statusCode).toBe(413);
    expect((await handler(event('GET', `/get/${id}`))).statusCode).toBe(404);
  });

  it('strips a named stage from the path', async () => {
    const id = randomUUID();
    await handler(event('POST', `/putRaw/${id}`, new Uint8Array(3)));
    expect((await handler(event('GET', `/v1/get/${id}`, undefined, {}, 'v1'))).statusCode).toBe(200);
  });

  it('answers errors as text, with CORS for the allowed origin only', async () => {
    const bad = await handler(event('GET', '/get/nope', undefined, { origin: 'https://app.example' }));
    expect(bad).toMatchObject({ statusCode: 400, isBase64Encoded: false });
    expect(bad.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await handler(event('GET', '/get/nope', undefined, { origin: 'https://evil.example' }));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
