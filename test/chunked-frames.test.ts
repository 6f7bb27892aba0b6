/**
 * Chunked frames (docs/protocol.md, Chunked frames) through the real local stack, whose
 * gateway closes a connection on any frame over 32 KB (1009) and delivers no
 * message over 128 KB: 120 KB `new message` and `edit group` frames from a
 * client that cannot fragment (one WebSocket frame per message, as browsers
 * send) and through the SDK; duplicates, expiry, size refusals; answers
 * larger than one message arriving whole.
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLIENT_ERRORS, connect, historyPages, type MessengerClient, type WebSocketLike } from '../client/index';
import { getDeps } from '../lambdas/deps';
import { publicRoute } from '../lambdas/middleware/chain';
import { CHUNK_LIMITS, splitFrame } from '../lambdas/protocol/chunks';
import type { Dialog, EditedGroup, Group, Message } from '../lambdas/protocol/objects';
import { LIMITS } from '../lambdas/protocol/schemas';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { pause } from './support/contacts';
import { bodies, closeAll, ids, messagePayload, names, newDialog, people, send, textOf, type Person } from './support/conversations';
import { recordingWebSocket, type WireFrame } from './support/sdk';
import { startTestStack } from './support/stack';

let stack: LocalStack;
const CHUNK_TTL_SECONDS = 2;
beforeAll(async () => {
  stack = await startTestStack({ env: { CHUNK_TTL_SECONDS: String(CHUNK_TTL_SECONDS) } });
});
afterAll(() => stack.close());

const sdkClients: MessengerClient[] = [];
afterEach(() => {
  for (const c of sdkClients.splice(0)) c.close();
});

const wireBytes = (frame: WireFrame) => Buffer.byteLength(JSON.stringify(frame));
/** The frames a client received came as at least `chunks` chunk frames, every message under API Gateway's 128 KB. */
function expectChunked(frames: WireFrame[], chunks: number): void {
  expect(frames.filter((f) => 'chunk' in f).length).toBeGreaterThanOrEqual(chunks);
  for (const frame of frames) expect(wireBytes(frame)).toBeLessThan(128 * 1024);
}
/** Text of about 120 KB of payload once sealed (base64) for two recipients. */
const bigText = (tag: string) => `${tag} ${'x'.repeat(46_500)}`;

/** Sends one whole frame as chunk frames, one WebSocket frame each, like a browser; optionally shuffled with duplicates. */
function sendAsChunks(client: TestClient, frame: { event: string; data: unknown; ackId: number }, options: { order?: (n: number) => number[]; id?: string } = {}) {
  const chunks = splitFrame(JSON.stringify(frame), { maxBytes: CHUNK_LIMITS.inboundMessageBytes, id: options.id ?? `t-${frame.ackId}-${Math.random()}`, event: frame.event, ackId: frame.ackId });
  for (const chunk of chunks) expect(Buffer.byteLength(chunk)).toBeLessThan(32 * 1024);
  for (const i of options.order?.(chunks.length) ?? chunks.keys()) client.sendRaw(chunks[i]!);
  return chunks;
}

async function sdkFor(person: Person) {
  const ws = recordingWebSocket();
  const client = connect(stack.url, { WebSocket: ws.WebSocket, heartbeatMs: 0, ackTimeoutMs: 10_000, reconnection: false });
  sdkClients.push(client);
  await client.login({ username: person.username, password: person.password });
  return { client, ws };
}

async function historyOf(person: Person, dialogId: number): Promise<Message[]> {
  return person.client.call<Message[]>('get messages before', { dialog_id: dialogId, last_date: '2999-01-01 00:00:00' });
}

describe('chunked client frames: a client that cannot fragment', () => {
  it('a 120 KB new message in 30 KB chunks, out of order and with a duplicate: stored once, one ack', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const payload = messagePayload(dialog, bigText('raw'));
    expect(JSON.stringify(payload).length).toBeGreaterThan(120 * 1024);
    const chunks = sendAsChunks(ann!.client, { event: 'new message', data: payload, ackId: 41 }, { order: (n) => [n - 1, 1, 1, ...Array.from({ length: n }, (_, i) => i).filter((i) => i !== 1 && i !== n - 1), 0] });
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    const ack = await ann!.client.waitFor(() => ann!.client.acks.find((a) => a.ackId === 41), 10_000, 'ack 41');
    expect(ack.error).toBeNull();
    const stored = ack.result as Message;
    expect(textOf(stored)).toBe(`${bigText('raw')} for ${ann!.id}`);
    const pushed = await bob!.client.waitFor(() => bob!.client.pushes.find((p) => p.event === 'messages'), 5000, 'messages push');
    expect(textOf((pushed.data as Message[])[0]!)).toBe(`${bigText('raw')} for ${bob!.id}`);
    await pause(200); // a second run would have acked again by now
    expect(ann!.client.acks.filter((a) => a.ackId === 41)).toHaveLength(1);
    expect((await historyOf(bob!, dialog.id)).map((m) => m.id)).toEqual([stored.id]);
    expect(ann!.client.closed).toBeUndefined();
    await closeAll(ann!, bob!);
  });

  it('a 120 KB edit group in chunks', async () => {
    const [ann, bob] = await people(stack, 2);
    const recipients = ids(ann!, bob!);
    const group = await ann!.client.call<Group>('new group', { bodies: names('g1', recipients), recipients, admin_id: ann!.id });
    const dialog = await ann!.client.call<{ id: number }>('new dialog', { bodies: names('main', recipients), recipients, dialog: { group_id: group.id } });
    const edit = {
      group: { id: group.id, recipients, added: [], kicked: [], bodies: names('g2', recipients) },
      dialogs: [],
      messages: [{ message: { dialog_id: dialog.id, type: 'service.group.renamed' }, bodies: bodies(bigText('renamed'), recipients) }],
    };
    expect(JSON.stringify(edit).length).toBeGreaterThan(120 * 1024);
    sendAsChunks(ann!.client, { event: 'edit group', data: edit, ackId: 7 });
    const ack = await ann!.client.waitFor(() => ann!.client.acks.find((a) => a.ackId === 7), 10_000, 'ack 7');
    expect(ack.error).toBeNull();
    const edited = ack.result as EditedGroup;
    expect(Object.values(edited.messages).map(textOf)).toEqual([`${bigText('renamed')} for ${ann!.id}`]);
    await closeAll(ann!, bob!);
  });

  it('a half-sent frame expires without effect, even when its last chunk comes late', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const frame = { event: 'new message', data: messagePayload(dialog, bigText('late')), ackId: 9 };
    const chunks = splitFrame(JSON.stringify(frame), { maxBytes: CHUNK_LIMITS.inboundMessageBytes, id: 'late-1', event: frame.event, ackId: 9 });
    for (const chunk of chunks.slice(0, -1)) ann!.client.sendRaw(chunk);
    await pause(CHUNK_TTL_SECONDS * 1000 + 1100);
    ann!.client.sendRaw(chunks.at(-1)!);
    expect((await ann!.client.request('ping')).error).toBeNull(); // answered after the late chunk was handled
    expect(ann!.client.acks.filter((a) => a.ackId === 9)).toEqual([]);
    expect(await historyOf(ann!, dialog.id)).toEqual([]);
    await closeAll(ann!, bob!);
  });

  it('refuses, once, a frame of more chunks than allowed or whose chunks name another event; unknown events once', async () => {
    const [ann] = await people(stack, 1);
    const many = JSON.stringify({ chunk: { id: 'm', seq: 0, of: CHUNK_LIMITS.inboundChunks + 1, ackId: 'c1', part: '{' }, event: 'ping' });
    ann!.client.sendRaw(many);
    expect(await ann!.client.waitFor(() => ann!.client.acks.find((a) => a.ackId === 'c1'))).toMatchObject({ error: 'wrong data provided' });
    const lying = splitFrame(JSON.stringify({ event: 'log me out', ackId: 'c2', data: 'y'.repeat(40_000) }), { maxBytes: 30_000, id: 'lie', event: 'ping', ackId: 'c2' });
    for (const c of lying) ann!.client.sendRaw(c);
    expect(await ann!.client.waitFor(() => ann!.client.acks.find((a) => a.ackId === 'c2'))).toMatchObject({ error: 'wrong data provided' });
    for (const c of splitFrame(JSON.stringify({ event: 'no such frame', ackId: 'c3', data: 'z'.repeat(40_000) }), { maxBytes: 30_000, id: 'u', event: 'no such frame', ackId: 'c3' })) ann!.client.sendRaw(c);
    expect(await ann!.client.waitFor(() => ann!.client.acks.find((a) => a.ackId === 'c3'))).toMatchObject({ error: 'unknown event' });
    expect((await ann!.client.request('ping')).error).toBeNull();
    expect(ann!.client.acks.filter((a) => ['c1', 'c2', 'c3'].includes(a.ackId as string))).toHaveLength(3);
    expect((await ann!.client.call<{ id: number }>('who am i')).id).toBe(ann!.id); // 'log me out' never ran
    await closeAll(ann!);
  });
});

describe('chunks of a frame that needs a login', () => {
  it('from a connection with no login: answered not authenticated once, and no piece is stored', async () => {
    const stranger = await TestClient.connect(stack.url);
    const frame = { event: 'new message', data: { dialog_id: 1, message: { bodies: { 1: 'x'.repeat(90_000) } } }, ackId: 77 };
    const chunks = sendAsChunks(stranger, frame, { id: 'anon-1' });
    expect(chunks.length).toBeGreaterThan(2);
    expect(await stranger.waitFor(() => stranger.acks.find((a) => a.ackId === 77))).toMatchObject({ error: 'not authenticated' });
    expect((await stranger.request('ping')).error).toBe('not authenticated'); // every chunk handled by now, the connection kept
    expect(stranger.acks.filter((a) => a.ackId === 77)).toHaveLength(1);
    const { Items } = await getDeps().db.send(new ScanCommand({ TableName: getDeps().config.chunksTable }));
    expect(Items?.filter((item) => String(item.frame).endsWith('#anon-1'))).toEqual([]);
    await stranger.close();
  });
});

describe('chunked client frames: the SDK', () => {
  it('sends a 120 KB new message and edit group with no frame on the wire over 32 KB', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const recipients = ids(ann!, bob!);
    const group = await ann!.client.call<Group>('new group', { bodies: names('g1', recipients), recipients, admin_id: ann!.id });
    const groupDialog = await ann!.client.call<{ id: number }>('new dialog', { bodies: names('main', recipients), recipients, dialog: { group_id: group.id } });
    const { client, ws } = await sdkFor(ann!);
    const message = (await client.untyped.emitWithAck('new message', messagePayload(dialog, bigText('sdk')))) as Message;
    expect(textOf(message)).toBe(`${bigText('sdk')} for ${ann!.id}`);
    const edited = (await client.untyped.emitWithAck('edit group', {
      group: { id: group.id, recipients, added: [], kicked: [], bodies: names('g2', recipients) },
      dialogs: [],
      messages: [{ message: { dialog_id: groupDialog.id, type: 'service.group.renamed' }, bodies: bodies(bigText('sdk-edit'), recipients) }],
    })) as EditedGroup;
    expect(Object.values(edited.messages).map(textOf)).toEqual([`${bigText('sdk-edit')} for ${ann!.id}`]);
    const sent = ws.last.sent;
    expect(sent.filter((f) => 'chunk' in f).length).toBeGreaterThanOrEqual(10);
    for (const frame of sent) expect(wireBytes(frame)).toBeLessThan(32 * 1024);
    expect((await historyOf(bob!, dialog.id)).map((m) => m.id)).toEqual([message.id]);
    await closeAll(ann!, bob!);
  });

  it('refuses a frame over the inbound limit before sending, and the connection stays', async () => {
    const [ann] = await people(stack, 1);
    const { client, ws } = await sdkFor(ann!);
    const before = ws.last.sent.length;
    await expect(client.untyped.emitWithAck('new message', { data: 'q'.repeat(CHUNK_LIMITS.inboundFrameBytes) })).rejects.toMatchObject({ code: CLIENT_ERRORS.frameTooLarge });
    expect(ws.last.sent.length).toBe(before);
    expect(await client.emitWithAck('ping')).toMatchObject({ time: expect.any(String) });
    await closeAll(ann!);
  });
});

describe('answers and pushes larger than one message arrive whole (no frame on the wire over 128 KB)', () => {
  const received = (ws: ReturnType<typeof recordingWebSocket>) => ws.sockets.flatMap((s) => s.received);

  it('give me messages returns every unread, get messages before its full limit, and before_id pages past one second', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const deps = getDeps();
    const realNow = deps.now;
    const sent: Message[] = [];
    try {
      deps.now = () => new Date(Date.UTC(2033, 0, 1, 0, 0, 0)); // five in one second
      for (let i = 0; i < 5; i++) sent.push(await send(ann!, dialog, `m${i} ${'y'.repeat(45_000)}`));
    } finally {
      deps.now = realNow;
    }
    const newestFirst = sent.map((m) => m.id).reverse();
    const { client, ws } = await sdkFor(bob!);
    const unread = (await client.emitWithAck('give me messages')) as Message[];
    expect(unread.map((m) => m.id)).toEqual(newestFirst);
    expect(textOf(unread[4]!)).toBe(`m0 ${'y'.repeat(45_000)} for ${bob!.id}`);
    // The dates-only form, as old clients send it: the whole limit.
    const page = (await client.untyped.emitWithAck('get messages before', { dialog_id: dialog.id, last_date: sent[0]!.created_at, limit: 5 })) as Message[];
    expect(page.map((m) => m.id)).toEqual(newestFirst);
    // The cursor: pages of 2 reach all five, though they share one second.
    const pages: number[][] = [];
    for await (const p of historyPages(client, dialog.id, 2)) pages.push(p.map((m) => m.id));
    expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
    const frames = received(ws);
    expectChunked(frames, 4);
    await closeAll(ann!, bob!);
  });

  it('a messages push over one message arrives whole on on()', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const { client, ws } = await sdkFor(bob!);
    const body = 'B'.repeat(LIMITS.messageBody);
    const attachments = Array.from({ length: LIMITS.attachments }, () => ({
      unique: randomUUID(),
      size: 1,
      bodies: [
        { recipient_id: ann!.id, key_id: 1, key_from_id: 1, nonce: 'Tg==', name: 'Tg==', crypto: 'Tg==' },
        { recipient_id: bob!.id, key_id: 1, key_from_id: 1, nonce: 'Tg==', name: 'N'.repeat(700), crypto: 'C'.repeat(700) },
      ],
    }));
    const payload = { ...messagePayload(dialog, 'x'), attachments };
    payload.bodies = payload.bodies.map((b) => (b.recipient_id === bob!.id ? { ...b, body } : b));
    const pushed = new Promise<Message[]>((resolve) => client.on('messages', (messages) => resolve(messages as Message[])));
    const stored = await ann!.client.call<Message>('new message', payload);
    const [message] = await pushed;
    expect(message).toMatchObject({ id: stored.id, Body: { body } });
    expect(message!.Attachments).toHaveLength(LIMITS.attachments);
    const frames = received(ws);
    expectChunked(frames, 2);
    await closeAll(ann!, bob!);
  });
});

describe('a user container push over one message', () => {
  it('arrives whole, with its dialogs and messages', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const sent: Message[] = [];
    for (let i = 0; i < 3; i++) sent.push(await send(ann!, dialog, `c${i} ${'w'.repeat(45_000)}`));
    for (const action of ['withdraw', 'remove']) expect(await bob!.client.call('handle userlink', { from_user_id: bob!.id, to_user_id: ann!.id, action })).toBe('success');
    const { client, ws } = await sdkFor(bob!);
    const pushed = new Promise<{ user: { id: number }; dialogs: Dialog[]; messages: Message[] }>((resolve) => client.untyped.on('user container', (c) => resolve(c as never)));
    await ann!.client.call('handle userlink', { from_user_id: ann!.id, to_user_id: bob!.id, action: 'request' });
    const container = await pushed;
    expect(container.user.id).toBe(ann!.id);
    expect(container.dialogs.map((d) => d.id)).toEqual([dialog.id]);
    expect(container.messages.map((m) => m.id).sort((a, b) => a - b)).toEqual(sent.map((m) => m.id));
    const frames = ws.last.received;
    expectChunked(frames, 2);
    await closeAll(ann!, bob!);
  });
});

describe('the largest answer', () => {
  it('an ack over 6 MiB is answered something went wrong, and nothing of it is sent', async () => {
    // A stand-in handler on the real chain: no frame of the protocol answers 6 MiB at these test sizes.
    const handler = publicRoute('auth by token', async () => ({ userId: 1, token: 'x'.repeat(CHUNK_LIMITS.outboundFrameBytes) }));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const response = await handler({ requestContext: { routeKey: 'auth by token', eventType: 'MESSAGE', connectionId: 'nobody' }, body: JSON.stringify({ event: 'auth by token', data: { userId: 1, token: 't' }, ackId: 5 }) });
      expect(response).toEqual({ statusCode: 200, body: JSON.stringify({ ackId: 5, error: 'something went wrong' }) });
      expect(errors.mock.calls.flat().join('')).toContain('answer too large');
    } finally {
      errors.mockRestore();
    }
  });
});

describe('a lost chunk', () => {
  it('fails the ack with incomplete frame (never a partial answer); the connection goes on', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    for (let i = 0; i < 3; i++) await send(ann!, dialog, `lost ${i} ${'z'.repeat(45_000)}`);
    let dropped = 0;
    type Listener = ((event: never) => void) | null;
    /** `ws` that loses the first chunk frame it receives (a gateway fault: TCP itself loses nothing). */
    class Lossy implements WebSocketLike {
      onopen: Listener = null;
      onmessage: Listener = null;
      onclose: Listener = null;
      onerror: Listener = null;
      private readonly socket: WebSocket;
      constructor(url: string) {
        this.socket = new WebSocket(url);
        const call = (listener: Listener, event: unknown) => (listener as ((event: unknown) => void) | null)?.(event);
        this.socket.onopen = (event) => call(this.onopen, event);
        this.socket.onclose = (event) => call(this.onclose, event);
        this.socket.onerror = (event) => call(this.onerror, event);
        this.socket.onmessage = (event) => {
          if (dropped === 0 && String(event.data).startsWith('{"chunk"')) dropped += 1;
          else call(this.onmessage, event);
        };
      }
      get readyState() {
        return this.socket.readyState;
      }
      send(data: string) {
        this.socket.send(data);
      }
      close(code?: number, reason?: string) {
        this.socket.close(code, reason);
      }
    }
    const client = connect(stack.url, { WebSocket: Lossy, heartbeatMs: 0, ackTimeoutMs: 10_000, reconnection: false, chunking: { timeoutMs: 300 } });
    sdkClients.push(client);
    await client.login({ username: bob!.username, password: bob!.password });
    const started = Date.now();
    await expect(client.emitWithAck('give me messages')).rejects.toMatchObject({ code: CLIENT_ERRORS.incompleteFrame });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(dropped).toBe(1);
    expect(((await client.emitWithAck('give me messages')) as Message[]).length).toBe(3);
    await closeAll(ann!, bob!);
  });
});
