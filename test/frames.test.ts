/** Protocol §1: what the gateway and the middleware chain do with every kind of frame. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
  await createTestUser({ username: 'alice', password: 'alice-secret' });
});
afterAll(() => stack.close());

/** The connection still answers: a frame sent after the bad one gets its ack, and nothing else came back. */
async function stillUsable(client: TestClient) {
  const before = client.acks.length;
  const ack = await client.request('no such event');
  expect(ack.error).toBe('unknown event');
  expect(client.acks.length).toBe(before + 1);
  expect(client.closed).toBeUndefined();
}

describe('malformed frames', () => {
  it('drops frames that cannot carry an ack and keeps the connection', async () => {
    const client = await TestClient.connect(stack.url);
    for (const raw of ['not json', '{"event":', '[1,2,3]', '"auth by token"', '42', 'null', '{"event":"ping","ackId":-1}', '{"event":"ping","ackId":1.5}', `{"event":"ping","ackId":"${'x'.repeat(65)}"}`, '{"event":"ping","ackId":""}']) {
      client.sendRaw(raw);
    }
    await stillUsable(client);
    await client.close();
  });

  it('closes the connection with 1003 on a binary frame, without processing it (as API Gateway)', async () => {
    const client = await TestClient.connect(stack.url);
    client.sendRaw(Buffer.from(JSON.stringify({ event: 'ping', ackId: 99 })), { binary: true });
    expect(await client.waitClosed()).toMatchObject({ code: 1003 });
    expect(client.acks).toEqual([]);
  });

  it('answers wrong data provided when event is missing or not a string', async () => {
    const client = await TestClient.connect(stack.url);
    client.sendRaw(JSON.stringify({ ackId: 'a1', data: {} }));
    client.sendRaw(JSON.stringify({ event: 5, ackId: 'a2' }));
    client.sendRaw(JSON.stringify({ event: { name: 'ping' }, ackId: 'a3' }));
    for (const ackId of ['a1', 'a2', 'a3']) {
      const ack = await client.waitFor(() => client.acks.find((a) => a.ackId === ackId));
      expect(ack).toEqual({ ackId, error: 'wrong data provided' });
    }
    await stillUsable(client);
    await client.close();
  });

  it('answers wrong data provided, not something went wrong, to a hostile `length` (issue 14)', async () => {
    const hostile = { length: { toString: 'x', valueOf: 'x' } };
    const { client } = await loggedIn(stack, 'alice', 'alice-secret');
    const anonymous = await TestClient.connect(stack.url);
    expect(await anonymous.request('auth by credentials', { username: hostile, password: 'x' })).toMatchObject({ error: 'wrong data provided' });
    for (const [event, data] of [
      ['read messages', { ids: hostile }],
      ['rename dialog', { id: 1, bodies: hostile }],
      ['new dialog', { bodies: [], recipients: hostile }],
      ['find contacts', { search: hostile }],
      ['change profile', { first_name: hostile, last_name: 'x' }],
      ['new message', { message: { dialog_id: 1, client_id: hostile }, bodies: [] }],
    ] as const) {
      expect(await client.request(event, data), event).toMatchObject({ error: 'wrong data provided' });
    }
    await stillUsable(client);
    await Promise.all([client.close(), anonymous.close()]);
  });

  it('answers unknown event for names that are not routes, including route-like $ names', async () => {
    const client = await TestClient.connect(stack.url);
    for (const event of ['who  am i', 'WHO AM I', '$connect', '$default', '']) {
      expect((await client.request(event)).error).toBe('unknown event');
    }
    await client.close();
  });

  it('returns the ackId verbatim, numbers and strings alike', async () => {
    const client = await TestClient.connect(stack.url);
    for (const ackId of [0, 7, Number.MAX_SAFE_INTEGER, 'x', 'ack-🙂', 'y'.repeat(64)]) {
      client.sendRaw(JSON.stringify({ event: 'who am i', ackId }));
      const ack = await client.waitFor(() => client.acks.find((a) => a.ackId === ackId));
      expect(ack).toEqual({ ackId, error: 'not authenticated' });
    }
    await client.close();
  });

  it('sends nothing back for a frame without ackId', async () => {
    const { client } = await loggedIn(stack, 'alice', 'alice-secret');
    await client.push('storage urls');
    client.sendRaw(JSON.stringify({ event: 'ping' }));
    client.sendRaw(JSON.stringify({ event: 'no such event' }));
    client.sendRaw(JSON.stringify({ event: 'auth by credentials', data: { username: 'alice' } }));
    const ack = await client.request('ping');
    expect(ack.error).toBeNull();
    expect(client.acks).toEqual([expect.objectContaining({ error: null, result: expect.objectContaining({ userId: expect.any(Number) }) }), ack]);
    expect(client.pushes).toEqual([]);
    await client.close();
  });

  it('refuses every other frame before authentication', async () => {
    const client = await TestClient.connect(stack.url);
    for (const event of ['who am i', 'log me out', 'ping']) {
      expect((await client.request(event)).error).toBe('not authenticated');
    }
    await client.close();
  });

  it('answers ping with the server clock as a protocol date', async () => {
    const { client } = await loggedIn(stack, 'alice', 'alice-secret');
    const { time } = await client.call<{ time: string }>('ping');
    expect(time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(Math.abs(Date.parse(`${time.replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(5000);
    await client.close();
  });
});

describe('size limits (API Gateway: 32 KB frame, 128 KB message)', () => {
  it('accepts a 100 KB message sent as 32 KB fragments', async () => {
    const client = await TestClient.connect(stack.url);
    const text = JSON.stringify({ event: 'no such event', data: 'x'.repeat(100_000), ackId: 1 });
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += 32 * 1024) {
      const fin = at + 32 * 1024 >= bytes.length;
      client.socket.send(bytes.subarray(at, at + 32 * 1024), { fin, binary: false });
    }
    const ack = await client.waitFor(() => client.acks.find((a) => a.ackId === 1));
    expect(ack.error).toBe('unknown event');
    await client.close();
  });

  it('closes with 1009 on a single frame over 32 KB', async () => {
    const client = await TestClient.connect(stack.url);
    client.sendRaw(JSON.stringify({ event: 'ping', data: 'x'.repeat(40_000) }));
    expect((await client.waitClosed()).code).toBe(1009);
  });

  it('closes with 1009 on a message over 128 KB', async () => {
    const client = await TestClient.connect(stack.url);
    const bytes = Buffer.from(JSON.stringify({ event: 'ping', data: 'x'.repeat(140_000) }));
    for (let at = 0; at < bytes.length; at += 30 * 1024) {
      client.socket.send(bytes.subarray(at, at + 30 * 1024), { fin: at + 30 * 1024 >= bytes.length, binary: false });
    }
    expect((await client.waitClosed()).code).toBe(1009);
  });
});
