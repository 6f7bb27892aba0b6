/**
 * The file server (protocol §7) over real HTTP against the local stack: the
 * prefixes from `storage urls`, byte-identical binary round trips, the
 * deprecated multipart upload, ids, limits, write-once, who may upload and
 * delete (a live login; the uploader), CORS, and files that survive a restart
 * with a data directory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { readFileCapability } from '../lambdas/files/capabilities';
import type { StorageUrls } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

const LIMIT = 1024 * 1024;
let stack: LocalStack;
let urls: StorageUrls;

const every256 = () => Uint8Array.from({ length: 256 }, (_, i) => i);
const putRaw = (id: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(urls.putRaw + id, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', ...headers } });
const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());

/** A body sent chunked (no Content-Length), as a streaming client would. */
function streamed(total: number, chunk = 64 * 1024): { body: ReadableStream<Uint8Array>; duplex: 'half' } {
  let sent = 0;
  return {
    duplex: 'half',
    body: new ReadableStream({
      pull(controller) {
        if (sent >= total) return controller.close();
        const size = Math.min(chunk, total - sent);
        sent += size;
        controller.enqueue(new Uint8Array(size).fill(7));
      },
    }),
  };
}

/** A login's storage urls (the login stays live after its connection closes). */
async function urlsOf(on: LocalStack, username: string): Promise<StorageUrls> {
  const { client } = await loggedIn(on, username, `${username}-secret`);
  const pushed = await client.push<StorageUrls>('storage urls');
  await client.close();
  return pushed;
}

beforeAll(async () => {
  stack = await startTestStack({ maxFileBytes: LIMIT });
  await createTestUser({ username: 'filer', password: 'filer-secret' });
  await createTestUser({ username: 'recipient', password: 'recipient-secret' });
  urls = await urlsOf(stack, 'filer');
});
afterAll(() => stack?.close());

describe('storage urls', () => {
  it('point at the running file server; uploads and deletes carry the login\'s capability', () => {
    const capability = urls.putRaw.split('/').at(-2)!;
    expect(capability.split('.')).toHaveLength(3); // a JWT: URL-safe, no '/'
    expect(urls).toEqual({
      get: `${stack.files.url}get/`,
      put: `${stack.files.url}put/${capability}/`,
      putRaw: `${stack.files.url}putRaw/${capability}/`,
      delete: `${stack.files.url}delete/${capability}/`,
    });
    expect(stack.filesUrl).toBe(stack.files.url);
  });

  it('are new for every login', async () => {
    expect((await urlsOf(stack, 'filer')).putRaw).not.toBe(urls.putRaw);
  });
});

describe('upload, download, delete', () => {
  it('round-trips binary data byte for byte', async () => {
    const id = randomUUID();
    const data = new Uint8Array([...every256(), ...randomBytes(LIMIT - 256)]);
    const up = await putRaw(id, data);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ id, size: LIMIT });

    const down = await fetch(urls.get + id);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.compare(await bytesOf(down), data)).toBe(0);
  });

  it('deletes, then answers 404', async () => {
    const id = randomUUID();
    expect((await putRaw(id, every256())).status).toBe(200);
    const deleted = await fetch(urls.delete + id);
    expect(deleted.status).toBe(200);
    expect((await fetch(urls.get + id)).status).toBe(404);
    expect((await fetch(urls.delete + id)).status).toBe(404);
  });

  it('answers 404 for an unknown id and an unknown route', async () => {
    expect((await fetch(urls.get + randomUUID())).status).toBe(404);
    expect((await fetch(urls.delete + randomUUID())).status).toBe(404);
    expect((await fetch(`${stack.files.url}list/${randomUUID()}`)).status).toBe(404);
  });

  it('stores an empty body as an empty file', async () => {
    const id = randomUUID();
    expect((await putRaw(id, new Uint8Array(0))).status).toBe(200);
    const down = await fetch(urls.get + id);
    expect(down.status).toBe(200);
    expect((await bytesOf(down)).length).toBe(0);
  });

  it('takes a streamed (chunked) upload', async () => {
    const id = randomUUID();
    const response = await fetch(urls.putRaw + id, { method: 'POST', ...streamed(300_000) } as RequestInit);
    expect(response.status).toBe(200);
    expect((await bytesOf(await fetch(urls.get + id))).length).toBe(300_000);
  });

  it('refuses the wrong method with 405', async () => {
    const id = randomUUID();
    const response = await fetch(urls.putRaw + id);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await fetch(urls.get + id, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});

describe('deprecated multipart put', () => {
  it('stores the form field body, file or text', async () => {
    const file = randomUUID();
    const data = new Uint8Array([...every256(), ...randomBytes(4096)]);
    const form = new FormData();
    form.append('other', 'ignored');
    form.append('body', new Blob([data]), 'blob.bin');
    expect((await fetch(urls.put + file, { method: 'POST', body: form })).status).toBe(200);
    expect(Buffer.compare(await bytesOf(await fetch(urls.get + file)), data)).toBe(0);

    const textual = randomUUID();
    const textForm = new FormData();
    textForm.append('body', 'aGVsbG8=');
    expect((await fetch(urls.put + textual, { method: 'POST', body: textForm })).status).toBe(200);
    expect(await (await fetch(urls.get + textual)).text()).toBe('aGVsbG8=');
  });

  it('refuses a form without body, a broken form, or no form', async () => {
    const form = new FormData();
    form.append('file', new Blob([every256()]));
    const id = randomUUID();
    expect((await fetch(urls.put + id, { method: 'POST', body: form })).status).toBe(400);
    const broken = { 'content-type': 'multipart/form-data; boundary=xyz' };
    expect((await fetch(urls.put + id, { method: 'POST', body: '--xyz\r\nnonsense', headers: broken })).status).toBe(400);
    expect((await fetch(urls.put + id, { method: 'POST', body: every256(), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(400);
    expect((await fetch(urls.get + id)).status).toBe(404);
  });
});

describe('ids', () => {
  const bad = ['abc', '6ba7b810-9dad-11d1-80b4-00c04fd430c8' /* v1 */, `${randomUUID()}0`, '..%2F..%2Fetc%2Fpasswd', '%E0%A4%A', ''];

  it('refuses anything but a UUID v4 with 400', async () => {
    for (const id of bad) {
      expect((await fetch(urls.get + id)).status, `get ${id}`).toBe(400);
      expect((await fetch(urls.delete + id)).status, `delete ${id}`).toBe(400);
      expect((await putRaw(id, every256())).status, `putRaw ${id}`).toBe(400);
    }
  });

  it('treats letter case as the same id', async () => {
    const id = randomUUID();
    expect((await putRaw(id.toUpperCase(), every256())).status).toBe(200);
    expect((await fetch(urls.get + id)).status).toBe(200);
  });
});

describe('size limit', () => {
  it('refuses a declared body over the limit with 413 and stores nothing', async () => {
    const id = randomUUID();
    const response = await putRaw(id, new Uint8Array(LIMIT + 1));
    expect(response.status).toBe(413);
    expect((await fetch(urls.get + id)).status).toBe(404);
  });

  it('refuses a streamed body once it passes the limit', async () => {
    const id = randomUUID();
    const response = await fetch(urls.putRaw + id, { method: 'POST', ...streamed(LIMIT * 3) } as RequestInit);
    expect(response.status).toBe(413);
    expect((await fetch(urls.get + id)).status).toBe(404);
  });

  it('counts the whole multipart body', async () => {
    const id = randomUUID();
    const form = new FormData();
    form.append('body', new Blob([new Uint8Array(LIMIT)]));
    expect((await fetch(urls.put + id, { method: 'POST', body: form })).status).toBe(413);
    expect((await fetch(urls.get + id)).status).toBe(404);
  });
});

describe('write-once ids', () => {
  it('answers 409 to a second upload and keeps the first file', async () => {
    const id = randomUUID();
    const first = randomBytes(1000);
    expect((await putRaw(id, first)).status).toBe(200);
    expect((await putRaw(id, randomBytes(1000))).status).toBe(409);
    expect((await putRaw(id.toUpperCase(), randomBytes(10))).status).toBe(409);
    const form = new FormData();
    form.append('body', new Blob([randomBytes(10)]));
    expect((await fetch(urls.put + id, { method: 'POST', body: form })).status).toBe(409);
    expect(Buffer.compare(await bytesOf(await fetch(urls.get + id)), first)).toBe(0);
  });

  it('lets one of two racing uploads win', async () => {
    const id = randomUUID();
    const statuses = await Promise.all(Array.from({ length: 8 }, () => putRaw(id, randomBytes(50_000)).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
  });

  it('takes a new upload after a delete', async () => {
    const id = randomUUID();
    expect((await putRaw(id, randomBytes(10))).status).toBe(200);
    expect((await fetch(urls.delete + id)).status).toBe(200);
    const second = randomBytes(20);
    expect((await putRaw(id, second)).status).toBe(200);
    expect(Buffer.compare(await bytesOf(await fetch(urls.get + id)), second)).toBe(0);
  });
});

describe('who may upload and delete', () => {
  const bare = (action: string, id: string) => `${stack.files.url}${action}/${id}`;

  it('refuses an upload without a login (401) and stores nothing', async () => {
    const id = randomUUID();
    expect((await fetch(bare('putRaw', id), { method: 'POST', body: 'x' })).status).toBe(401);
    const form = new FormData();
    form.append('body', 'x');
    expect((await fetch(bare('put', id), { method: 'POST', body: form })).status).toBe(401);
    expect((await fetch(`${stack.files.url}putRaw/not-a-capability/${id}`, { method: 'POST', body: 'x' })).status).toBe(401);
    // A login token is no capability (the keys differ).
    const { client, token } = await loggedIn(stack, 'filer', 'filer-secret');
    expect((await fetch(`${stack.files.url}putRaw/${token}/${id}`, { method: 'POST', body: 'x' })).status).toBe(401);
    await client.close();
    expect((await fetch(urls.get + id)).status).toBe(404);
  });

  it('lets only the uploader delete; anyone with the id downloads', async () => {
    const id = randomUUID();
    expect((await putRaw(id, every256())).status).toBe(200);
    const theirs = await urlsOf(stack, 'recipient');
    expect((await fetch(theirs.get + id)).status).toBe(200);
    expect((await fetch(theirs.delete + id)).status).toBe(403);
    expect((await fetch(bare('delete', id))).status).toBe(401);
    expect((await fetch(urls.get + id)).status).toBe(200);
    // Another login of the uploader may delete it.
    expect((await fetch((await urlsOf(stack, 'filer')).delete + id)).status).toBe(200);
    expect((await fetch(urls.get + id)).status).toBe(404);
  });

  it('refuses the capability of a login that has ended', async () => {
    const { client } = await loggedIn(stack, 'filer', 'filer-secret');
    const mine = await client.push<StorageUrls>('storage urls');
    const id = randomUUID();
    expect((await fetch(mine.putRaw + id, { method: 'POST', body: 'x' })).status).toBe(200);
    await client.call('log me out');
    expect((await fetch(mine.putRaw + randomUUID(), { method: 'POST', body: 'x' })).status).toBe(401);
    expect((await fetch(mine.delete + id)).status).toBe(401);
    expect((await fetch(urls.delete + id)).status).toBe(200);
    await client.close();
  });

  it('refuses a capability past its expiry (it lives as long as a connection can)', async () => {
    const { config } = getDeps();
    const capability = urls.putRaw.split('/').at(-2)!;
    const now = Date.now();
    expect(await readFileCapability(config, capability, new Date(now))).toMatchObject({ userId: expect.any(Number) });
    expect(await readFileCapability(config, capability, new Date(now + (config.connectionTtlSeconds + 1) * 1000))).toBeUndefined();
  });
});

describe('CORS', () => {
  it('answers the preflight of an upload', async () => {
    const response = await fetch(urls.putRaw + randomUUID(), {
      method: 'OPTIONS',
      headers: { origin: 'https://web.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('lets a web page read downloads and errors', async () => {
    const id = randomUUID();
    await putRaw(id, every256(), { origin: 'https://web.example' });
    const down = await fetch(urls.get + id, { headers: { origin: 'https://web.example' } });
    expect(down.headers.get('access-control-allow-origin')).toBe('*');
    const missing = await fetch(urls.get + randomUUID(), { headers: { origin: 'https://web.example' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe.runIf(process.env.LOCAL_RUNTIME === 'bundles')('the deployed file server (bundle runtime)', () => {
  it('takes the template\'s limit, 4 MiB', async () => {
    const local = await startTestStack();
    try {
      expect(local.bundles?.files.fn.environment.MAX_FILE_BYTES).toBe(String(4 * 1024 * 1024));
      await createTestUser({ username: 'bundler', password: 'bundler-secret' });
      const { putRaw: prefix } = await urlsOf(local, 'bundler');
      const at = randomUUID();
      expect((await fetch(prefix + at, { method: 'POST', body: new Uint8Array(4 * 1024 * 1024) })).status).toBe(200);
      const over = randomUUID();
      expect((await fetch(prefix + over, { method: 'POST', body: new Uint8Array(4 * 1024 * 1024 + 1) })).status).toBe(413);
      expect(local.bundles?.files.coldStarts).toBeGreaterThan(0);
    } finally {
      await local.close();
    }
  });
});

describe('with a data directory', () => {
  let dataDir: string;
  beforeAll(async () => {
    await stack.close(); // the shared stack is done; this block runs its own
    dataDir = await mkdtemp(join(tmpdir(), 'files-test-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps files across a restart, under <dataDir>/files/', async () => {
    const id = randomUUID();
    const data = new Uint8Array([...every256(), ...randomBytes(100_000)]);
    let local = await startTestStack({ dataDir });
    let mine: StorageUrls;
    try {
      await createTestUser({ username: 'keeper', password: 'keeper-secret' });
      mine = await urlsOf(local, 'keeper');
      expect((await fetch(mine.putRaw + id, { method: 'POST', body: data })).status).toBe(200);
    } finally {
      await local.close();
    }
    // The file, and its uploader's id beside it.
    expect((await readdir(join(dataDir, 'files'))).sort()).toEqual([id, `${id}.owner`]);

    local = await startTestStack({ dataDir });
    try {
      const down = await fetch(`${local.files.url}get/${id}`);
      expect(down.status).toBe(200);
      expect(Buffer.compare(await bytesOf(down), data)).toBe(0);
      // Still write-once after the restart, and still the uploader's (the login survived too).
      expect((await fetch(mine.putRaw.replace(/^http:\/\/[^/]+\//, local.files.url) + id, { method: 'POST', body: 'x' })).status).toBe(409);
      expect((await fetch(mine.delete.replace(/^http:\/\/[^/]+\//, local.files.url) + id)).status).toBe(200);
      expect(await readdir(join(dataDir, 'files'))).toEqual([]);
    } finally {
      await local.close();
    }
  });

  // The bundle runtime runs the deployed file server: the template's limit (4 MiB, under Lambda's payload) applies there.
  it.skipIf(process.env.LOCAL_RUNTIME === 'bundles')('defaults to a 25 MiB limit', async () => {
    const local = await startTestStack({ dataDir });
    try {
      const { putRaw: prefix } = await urlsOf(local, 'keeper');
      const at = randomUUID();
      expect((await fetch(prefix + at, { method: 'POST', body: new Uint8Array(25 * 1024 * 1024) })).status).toBe(200);
      const over = randomUUID();
      expect((await fetch(prefix + over, { method: 'POST', body: new Uint8Array(25 * 1024 * 1024 + 1) })).status).toBe(413);
      expect((await fetch(`${local.files.url}get/${over}`)).status).toBe(404);
    } finally {
      await local.close();
    }
  });
});
