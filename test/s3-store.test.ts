/**
 * S3FileStore (the file server's store on AWS) against a real S3-compatible
 * server: s3rver, S3's REST API over the file system, spoken to by the real
 * @aws-sdk/client-s3. One gap, emulated and said so: s3rver predates S3's
 * conditional writes (2024) and ignores `If-None-Match: *`, so a middleware
 * in front of it answers such a PUT to an existing key 412 Precondition
 * Failed, as S3 documents; everything else is s3rver's own behaviour.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FileStore } from '../lambdas/files/s3-store';

const BUCKET = 'messenger-files';
let server: S3rver;
let directory: string;
let store: S3FileStore;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const s3 = server;
  // S3's documented conditional write: `If-None-Match: *` on an existing key is 412 and writes nothing.
  server.middleware.unshift(async (ctx, next) => {
    const [, bucket, ...key] = ctx.path.split('/');
    if (ctx.method === 'PUT' && ctx.get('if-none-match') === '*' && bucket && key.length > 0 && (await s3.store.existsObject(bucket, key.join('/')))) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
      return;
    }
    await next();
  });
  const { port } = await server.run();
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  store = new S3FileStore(BUCKET, client);
});

afterAll(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

/** The uploader's user id, recorded as the object's `owner` metadata. */
const OWNER = 42;
const every256 = () => Uint8Array.from({ length: 256 }, (_, i) => i);

describe('S3FileStore', () => {
  it('stores bytes once and reads them back byte for byte', async () => {
    const id = randomUUID();
    expect(await store.create(id, every256(), OWNER)).toBe(true);
    expect(await store.read(id)).toEqual(every256());
  });

  it('records the uploader as the owner; an unknown id has none', async () => {
    const id = randomUUID();
    await store.create(id, every256(), OWNER);
    expect(await store.ownerOf(id)).toBe(OWNER);
    expect(await store.ownerOf(randomUUID())).toBeUndefined();
  });

  it('is write-once: a second create of the id is refused and keeps the first bytes', async () => {
    const id = randomUUID();
    expect(await store.create(id, new Uint8Array([1, 2, 3]), OWNER)).toBe(true);
    expect(await store.create(id, new Uint8Array([9]), OWNER)).toBe(false);
    expect(await store.read(id)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('an unknown id reads as missing, has no owner, and removing it is no error', async () => {
    const id = randomUUID();
    expect(await store.read(id)).toBeUndefined();
    expect(await store.ownerOf(id)).toBeUndefined();
    await expect(store.remove(id)).resolves.toBeUndefined();
  });

  it('removes a file: gone afterwards, and the id can be used again', async () => {
    const id = randomUUID();
    await store.create(id, new Uint8Array([4, 5]), OWNER);
    await store.remove(id);
    expect(await store.read(id)).toBeUndefined();
    expect(await store.ownerOf(id)).toBeUndefined();
    expect(await store.create(id, new Uint8Array([6]), OWNER)).toBe(true);
  });

  it('keeps a 1 MB file intact', async () => {
    const id = randomUUID();
    const bytes = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) & 0xff);
    expect(await store.create(id, bytes, OWNER)).toBe(true);
    const read = await store.read(id);
    // Compared as buffers: an element-wise deep equality of 1 MB takes seconds.
    expect(read && Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  });
});
