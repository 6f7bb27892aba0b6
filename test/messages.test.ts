/** Messages through the real local stack: sending, live pushes, edits, deletes, read marks, history pages, retries, limits. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import type { Message } from '../lambdas/protocol/objects';
import { LIMITS } from '../lambdas/protocol/schemas';
import type { LocalStack } from '../local/stack';
import { pause, takePushes, userlink } from './support/contacts';
import {
  bodies,
  closeAll,
  DATE,
  device,
  errorOf,
  fields,
  ids,
  messagePayload,
  newDialog,
  people,
  send,
  seal,
  SHAPES,
  textOf,
  unseal,
} from './support/conversations';
import { BULK_RATE_LIMITS, startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  // Hundreds of messages and dialogs from one user in seconds build the test data.
  stack = await startTestStack({ env: BULK_RATE_LIMITS });
});
afterAll(() => stack.close());

const history = (client: Parameters<typeof send>[0]['client'], dialogId: number, extra: Record<string, unknown> = {}) =>
  client.call<Message[]>('get messages before', { dialog_id: dialogId, last_date: '2094-01-01 00:00:00', ...extra });

describe('a three-person conversation', () => {
  it('live pushes with each recipient\'s own body, edits, deletes and read marks', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const annPhone = await device(stack, ann!);
    const dialog = await newDialog(ann!, [bob!, cat!], 'trio');
    for (const p of [bob!, cat!]) expect(await p.client.push('dialog')).toMatchObject({ id: dialog.id });
    expect(await annPhone.push('dialog')).toMatchObject({ id: dialog.id, Body: { [ann!.id]: expect.anything() } });

    // Ann writes: the ack carries her own body, already read; everyone else gets their own body live.
    const hello = await send(ann!, dialog, 'hello');
    expect(fields(hello)).toEqual(SHAPES.message);
    expect(fields(hello.Body!)).toEqual(SHAPES.messageBody);
    expect(fields(hello.Creator)).toEqual(SHAPES.creator);
    expect(hello).toMatchObject({ dialog_id: dialog.id, type: 'message.default', edited_at: null, created_by: ann!.id, updated_by: ann!.id, Creator: { id: ann!.id, username: ann!.username, domain_id: 1 }, Attachments: [] });
    expect(hello.created_at).toMatch(DATE);
    expect(hello.Body).toMatchObject({ id: hello.id, message_id: hello.id, recipient_id: ann!.id, is_received: true, read_date: hello.created_at, props: null });
    expect(textOf(hello)).toBe(`hello for ${ann!.id}`);
    for (const p of [bob!, cat!]) {
      const [pushed] = await p.client.push<Message[]>('messages');
      expect(pushed).toMatchObject({ id: hello.id, Body: { recipient_id: p.id, read_date: null, is_received: false } });
      expect(textOf(pushed!)).toBe(`hello for ${p.id}`);
    }
    // The sender's other device hears it too, with her body; the sending connection only gets the ack.
    expect(textOf((await annPhone.push<Message[]>('messages'))[0]!)).toBe(`hello for ${ann!.id}`);

    const reply = await send(bob!, dialog, 'hi ann');
    expect(reply.id).toBeGreaterThan(hello.id);
    for (const p of [ann!, cat!]) expect(textOf((await p.client.push<Message[]>('messages'))[0]!)).toBe(`hi ann for ${p.id}`);
    await annPhone.push('messages');

    // Ann edits her message: new bodies, message.updated, edited_at; Bob may not.
    expect(await errorOf(bob!.client, 'update message', { id: hello.id, bodies: bodies('forged', ids(ann!, bob!, cat!)), toDelete: false })).toBe('access denied');
    const edited = await ann!.client.call<Message>('update message', { id: hello.id, bodies: bodies('hello, edited', ids(ann!, bob!, cat!)), toDelete: false });
    expect(edited).toMatchObject({ id: hello.id, type: 'message.updated', created_at: hello.created_at, Body: { read_date: hello.created_at } });
    expect(edited.edited_at).toMatch(DATE);
    expect(textOf(edited)).toBe(`hello, edited for ${ann!.id}`);
    for (const p of [bob!, cat!]) {
      const [pushed] = await p.client.push<Message[]>('messages');
      expect(pushed).toMatchObject({ id: hello.id, type: 'message.updated', edited_at: edited.edited_at });
      expect(textOf(pushed!)).toBe(`hello, edited for ${p.id}`);
    }
    await annPhone.push('messages');
    // An edit needs one body per recipient.
    expect(await errorOf(ann!.client, 'update message', { id: hello.id, bodies: bodies('short', ids(ann!, bob!)), toDelete: false })).toBe('wrong data provided');

    // Read marks: only Bob's own copies, only those asked; one without ackId is still applied.
    bob!.client.sendRaw(JSON.stringify({ event: 'read messages', data: { ids: [hello.id] } }));
    await expect.poll(async () => (await history(bob!.client, dialog.id)).find((m) => m.id === hello.id)?.Body?.read_date).toMatch(DATE);
    const bobView = await history(bob!.client, dialog.id);
    expect(bobView.map((m) => m.id)).toEqual([reply.id, hello.id]);
    expect(bobView.find((m) => m.id === hello.id)!.Body).toMatchObject({ is_received: true });
    const catView = await history(cat!.client, dialog.id);
    expect(catView.find((m) => m.id === hello.id)!.Body).toMatchObject({ read_date: null, is_received: false });
    // give me messages: the newest of the dialog and the unread ones.
    expect((await cat!.client.call<Message[]>('give me messages')).map((m) => m.id)).toEqual([reply.id, hello.id]);
    expect((await bob!.client.call<Message[]>('give me messages')).map((m) => m.id)).toEqual([reply.id]);
    expect(await cat!.client.call('read messages', { ids: [hello.id, reply.id, 999] })).toBeNull();
    expect((await cat!.client.call<Message[]>('give me messages')).map((m) => m.id)).toEqual([reply.id]);

    // Ann deletes: message.deleted, every copy's content gone.
    const deleted = await ann!.client.call<Message>('update message', { id: hello.id, toDelete: true });
    expect(deleted).toMatchObject({ type: 'message.deleted', Body: { body: '', nonce: '' }, Attachments: [] });
    for (const p of [bob!, cat!]) expect((await p.client.push<Message[]>('messages'))[0]).toMatchObject({ id: hello.id, type: 'message.deleted', Body: { body: '' } });
    expect((await history(cat!.client, dialog.id)).find((m) => m.id === hello.id)).toMatchObject({ type: 'message.deleted', Body: { body: '', read_date: expect.stringMatching(DATE) } });
    // A deleted message cannot be edited; deleting it again changes nothing.
    expect(await errorOf(ann!.client, 'update message', { id: hello.id, bodies: bodies('back', ids(ann!, bob!, cat!)) })).toBe('wrong data provided');
    expect(await ann!.client.call<Message>('update message', { id: hello.id, toDelete: true })).toMatchObject({ updated_at: deleted.updated_at });

    await pause(50);
    expect(takePushes(bob!.client, 'messages')).toEqual([]);
    await closeAll(ann!, bob!, cat!);
    await annPhone.close();
  });
});

describe('new message', () => {
  it('attachments: one body per recipient each, ids after the message id; as_read stores it read for everyone', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    await bob!.client.push('dialog');
    const files = [randomUUID(), randomUUID()];
    const attachments = files.map((unique, i) => ({
      unique,
      size: 1000 + i,
      bodies: ids(ann!, bob!).map((r) => ({ recipient_id: r, key_id: 1, key_from_id: 1, nonce: seal('n'), name: seal(`file ${i} for ${r}`), crypto: seal(`key ${i} for ${r}`) })),
    }));
    const sent = await send(ann!, dialog, 'files', { attachments, as_read: true });
    expect(sent.Attachments).toHaveLength(2);
    sent.Attachments!.forEach((a, i) => {
      expect(fields(a)).toEqual(SHAPES.attachment);
      expect(fields(a.Body)).toEqual(SHAPES.attachmentBody);
      expect(a).toMatchObject({ id: sent.id + i + 1, unique: files[i], size: 1000 + i, message_id: sent.id, Body: { id: sent.id + i + 1, attachment_id: sent.id + i + 1, recipient_id: ann!.id } });
      expect(unseal(a.Body.name)).toBe(`file ${i} for ${ann!.id}`);
    });
    const [pushed] = await bob!.client.push<Message[]>('messages');
    expect(pushed!.Body).toMatchObject({ is_received: true, read_date: sent.created_at });
    expect(pushed!.Attachments!.map((a) => unseal(a.Body.crypto))).toEqual([`key 0 for ${bob!.id}`, `key 1 for ${bob!.id}`]);
    // Read already: not among Bob's unread.
    expect((await bob!.client.call<Message[]>('give me messages')).map((m) => m.id)).toEqual([sent.id]);

    // An attachment must have a body for every recipient, too.
    const partial = [{ ...attachments[0]!, bodies: attachments[0]!.bodies.slice(0, 1) }];
    expect(await errorOf(ann!.client, 'new message', messagePayload(dialog, 'x', { attachments: partial }))).toBe('wrong data provided');
    await closeAll(ann!, bob!);
  });

  it('bodies: exactly one per recipient, valid base64, within the limits; only sendable types', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const dialog = await newDialog(ann!, [bob!]);
    const ok = messagePayload(dialog, 'x');
    const refused: [string, unknown][] = [
      ['missing', { ...ok, bodies: ok.bodies.slice(0, 1) }],
      ['extra', { ...ok, bodies: [...ok.bodies, ...bodies('x', [cat!.id])] }],
      ['duplicate', { ...ok, bodies: [ok.bodies[0], ok.bodies[0], ok.bodies[1]] }],
      ['not base64', { ...ok, bodies: [{ ...ok.bodies[0], body: 'not base64!' }, ok.bodies[1]] }],
      ['nonce too long', { ...ok, bodies: [{ ...ok.bodies[0], nonce: 'A'.repeat(LIMITS.nonce + 4) }, ok.bodies[1]] }],
      ['body too long', { ...ok, bodies: [{ ...ok.bodies[0], body: 'A'.repeat(LIMITS.messageBody + 4) }, ok.bodies[1]] }],
      ['type updated', { ...ok, message: { ...ok.message, type: 'message.updated' } }],
      ['unknown type', { ...ok, message: { ...ok.message, type: 'message.shout' } }],
      ['bad key id', { ...ok, bodies: [{ ...ok.bodies[0], key_id: 'k' }, ok.bodies[1]] }],
      ['client_id too long', { ...ok, message: { ...ok.message, client_id: 'c'.repeat(65) } }],
      ['too many attachments', { ...ok, attachments: Array.from({ length: 16 }, () => ({ unique: randomUUID(), size: 1, bodies: [] })) }],
    ];
    for (const [what, data] of refused) expect(await errorOf(ann!.client, 'new message', data), what).toBe('wrong data provided');
    expect(await history(ann!.client, dialog.id)).toEqual([]);
    // A large message (two 60 KB bodies, near API Gateway's 128 KB) is stored and read back whole.
    const big = ok.bodies.map((b, i) => ({ ...b, body: (i ? 'QQ' : 'Qg').padEnd(60_000, 'A') }));
    const stored = await ann!.client.call<Message>('new message', { ...ok, bodies: big });
    expect(stored.Body!.body).toHaveLength(60_000);
    expect((await history(bob!.client, dialog.id))[0]!.Body!.body).toBe(big.find((b) => b.recipient_id === bob!.id)!.body);
    // URL-safe, unpadded base64 is fine (crypto libraries differ).
    expect(await errorOf(ann!.client, 'new message', { ...ok, bodies: [{ ...ok.bodies[0], body: 'a-_b', nonce: 'YQ' }, ok.bodies[1]] })).toBeNull();
    await closeAll(ann!, bob!, cat!);
  });

  it('outside groups, only while the link is accepted', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    await send(ann!, dialog, 'before');
    expect((await userlink(bob!.client, bob!.id, ann!.id, 'withdraw')).error).toBeNull();
    expect(await errorOf(ann!.client, 'new message', messagePayload(dialog, 'after'))).toBe('access denied');
    expect(await errorOf(bob!.client, 'new message', messagePayload(dialog, 'after'))).toBe('access denied');
    // The history stays readable for both.
    expect((await history(bob!.client, dialog.id)).map(textOf)).toEqual([`before for ${bob!.id}`]);
    await closeAll(ann!, bob!);
  });

  it('editing is writing: outside groups an edit needs the accepted link too; a delete does not', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const before = await send(ann!, dialog, 'before');
    expect((await userlink(bob!.client, bob!.id, ann!.id, 'withdraw')).error).toBeNull();
    await pause(50);
    bob!.client.pushes.length = 0;
    const edit = { id: before.id, bodies: bodies('edited', [ann!.id, bob!.id]), toDelete: false };
    expect(await errorOf(ann!.client, 'update message', edit)).toBe('access denied');
    expect((await history(bob!.client, dialog.id)).map(textOf)).toEqual([`before for ${bob!.id}`]);
    await pause(50);
    expect(takePushes(bob!.client, 'messages')).toEqual([]);
    // Taking one's own words back stays possible.
    expect(await ann!.client.call('update message', { id: before.id, bodies: [], toDelete: true })).toMatchObject({ type: 'message.deleted' });
    expect((await bob!.client.push<Message[]>('messages'))[0]).toMatchObject({ id: before.id, type: 'message.deleted' });
    await closeAll(ann!, bob!);
  });

  it('retried with the same client_id: one message, one push, the same answer', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    await bob!.client.push('dialog');
    const clientId = randomUUID();
    const first = await send(ann!, dialog, 'once', { client_id: clientId });
    const again = await send(ann!, dialog, 'once (resent)', { client_id: clientId });
    expect(again).toEqual(first);
    // Two at once (a resend racing the first): both answered with one stored message.
    const racing = randomUUID();
    const [x, y] = await Promise.all([send(ann!, dialog, 'race', { client_id: racing }), send(ann!, dialog, 'race', { client_id: racing })]);
    expect(x.id).toBe(y.id);
    expect((await history(bob!.client, dialog.id)).map((m) => m.id)).toEqual([x.id, first.id]);
    await pause(100);
    expect(takePushes<Message[]>(bob!.client, 'messages').map(([m]) => m!.id)).toEqual([first.id, x.id]);
    // The same client_id for another dialog is the client's mistake.
    const other = await newDialog(ann!, [bob!], 'second');
    expect(await errorOf(ann!.client, 'new message', messagePayload(other, 'x', { client_id: clientId }))).toBe('wrong data provided');
    // Another user's client ids are theirs.
    expect((await send(bob!, dialog, 'mine', { client_id: clientId })).id).not.toBe(first.id);
    await closeAll(ann!, bob!);
  });

  it('senders racing in one dialog: every message lands, in id order, none lost', { timeout: 30_000 }, async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const dialog = await newDialog(ann!, [bob!, cat!]);
    const senders = [ann!, bob!, cat!];
    const sent = await Promise.all(Array.from({ length: 24 }, (_, i) => send(senders[i % 3]!, dialog, `m${i}`)));
    expect(new Set(sent.map((m) => m.id)).size).toBe(24);
    const stored = await history(cat!.client, dialog.id, { limit: 100 });
    expect(stored.map((m) => m.id)).toEqual(sent.map((m) => m.id).sort((a, b) => b - a));
    // The newest is the dialog's newest for everyone.
    expect((await bob!.client.call<Message[]>('give me messages'))[0]!.id).toBe(stored[0]!.id);
    await closeAll(ann!, bob!, cat!);
  });

  it('a lightweight connection gets messages without Body and Attachments, and no dialog pushes', async () => {
    const [ann, bob] = await people(stack, 2);
    const light = await device(stack, bob!, { lightweight: true });
    const dialog = await newDialog(ann!, [bob!]);
    await bob!.client.push('dialog');
    const sent = await send(ann!, dialog, 'ping');
    const [pushed] = await light.push<Message[]>('messages');
    expect(fields(pushed!)).toEqual(SHAPES.lightMessage);
    expect(pushed).toMatchObject({ id: sent.id, dialog_id: dialog.id, Creator: { id: ann!.id } });
    expect(light.pushes).toEqual([]);
    // The full connection got the body.
    expect(textOf((await bob!.client.push<Message[]>('messages'))[0]!)).toBe(`ping for ${bob!.id}`);
    await closeAll(ann!, bob!);
    await light.close();
  });
});

// Answers larger than one API Gateway message (every unread, full pages, the cursor): test/chunked-frames.test.ts.

describe('get messages before', () => {
  it('inclusive dates, newest first, limit (default 30, at most 100)', { timeout: 60_000 }, async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const deps = getDeps();
    const realNow = deps.now;
    const at = (second: number) => new Date(Date.UTC(2031, 0, 1, 12, 0, second));
    const sent: Message[] = [];
    try {
      // Seconds 0, 1, 1, 2, 3, 5: two in one second.
      for (const [i, second] of [0, 1, 1, 2, 3, 5].entries()) {
        deps.now = () => at(second);
        sent.push(await send(ann!, dialog, `m${i}`));
      }
    } finally {
      deps.now = realNow;
    }
    expect(sent.map((m) => m.created_at)).toEqual([0, 1, 1, 2, 3, 5].map((s) => `2031-01-01 12:00:0${s}`));
    const page = async (last: number, first?: number, limit?: number) =>
      (await history(bob!.client, dialog.id, { last_date: `2031-01-01 12:00:0${last}`, ...(first !== undefined ? { first_date: `2031-01-01 12:00:0${first}` } : {}), ...(limit ? { limit } : {}) })).map(
        (m) => unseal(m.Body!.body).split(' ')[0],
      );
    expect(await page(5)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    // last_date and first_date are inclusive, to the second.
    expect(await page(3, 1)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect(await page(1, 1)).toEqual(['m2', 'm1']);
    expect(await page(4, 4)).toEqual([]);
    expect(await page(2)).toEqual(['m3', 'm2', 'm1', 'm0']);
    expect(await page(5, undefined, 2)).toEqual(['m5', 'm4']);
    expect(await page(1, 3)).toEqual([]);
    // ISO dates are read too.
    expect((await history(bob!.client, dialog.id, { last_date: '2031-01-01T12:00:02.000Z', first_date: '2031-01-01T12:00:02Z' })).length).toBe(1);
    expect(await errorOf(bob!.client, 'get messages before', { dialog_id: dialog.id, last_date: 'yesterday' })).toBe('wrong data provided');
    expect(await errorOf(bob!.client, 'get messages before', { dialog_id: dialog.id, last_date: '2031-01-01 12:00:00', limit: 0 })).toBe('wrong data provided');

    // 105 more: the default page is 30, and a larger limit is held to 100.
    for (let i = 0; i < 105; i++) await send(ann!, dialog, `n${i}`);
    const all = await history(bob!.client, dialog.id);
    expect(all).toHaveLength(LIMITS.pageDefault);
    expect(all.map((m) => m.id)).toEqual([...all.map((m) => m.id)].sort((a, b) => b - a));
    expect(await history(bob!.client, dialog.id, { limit: 500 })).toHaveLength(LIMITS.pageMax);
    await closeAll(ann!, bob!);
  });
});
