/**
 * A group at real size (issue 13): GROUP_MEMBERS members (256 by default, the
 * protocol's bound), each with a live WebSocket connection. The admin, on the
 * client SDK (whose frames over 32 KB go as chunked frames), creates the
 * group and its dialog, sends a message whose per-recipient bodies make a
 * frame of ~100 KB, edits it (another such frame), then kicks one member and invites another with a
 * service message. Every member gets every push and has every stored copy;
 * the kicked one is refused at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type MessengerClient } from '../client/index';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import type { Dialog, EditedGroup, Group, Message } from '../lambdas/protocol/objects';
import { groupMemberKey } from '../lambdas/storage/groups';
import { dialogMemberKey } from '../lambdas/storage/dialogs';
import { inboxRef } from '../lambdas/storage/messages';
import { readEach, readRecords } from '../lambdas/storage/store';
import type { LocalStack } from '../local/stack';
import { closeAll, errorOf, ids, names, people, seal, unseal, type Person } from './support/conversations';
import { recordingWebSocket } from './support/sdk';
import { BULK_RATE_LIMITS, startTestStack } from './support/stack';

const MEMBERS = Number(process.env.GROUP_MEMBERS ?? 256);
/** A short message's ciphertext per recipient, as a client makes it (~400 bytes of JSON a body). */
const bodiesOf = (text: string, recipients: readonly number[], length = 225) =>
  recipients.map((r) => ({ recipient_id: r, key_id: 1, key_from_id: 1, nonce: seal(`nonce ${r}`.padEnd(24, '.')), body: seal(`${text} for ${r}|`.padEnd(length, '.')) }));
const textOf = (message: Message) => unseal(message.Body!.body).split('|')[0];

let stack: LocalStack;
let everyone: Person[];
let admin: Person;
let sdk: MessengerClient;
const ws = recordingWebSocket();

beforeAll(async () => {
  stack = await startTestStack({ env: { ...BULK_RATE_LIMITS, PUSH_CONCURRENCY: '16' } });
  everyone = await people(stack, MEMBERS + 1, { linked: false, prefix: 'big' });
  admin = everyone[0]!;
  for (const p of everyone.slice(1)) await linkUsers(getDeps(), admin.id, p.id);
  for (const p of everyone) p.client.pushes.length = 0;
  sdk = connect(stack.url, { WebSocket: ws.WebSocket, heartbeatMs: 0, ackTimeoutMs: 60_000, reconnection: false });
  await sdk.login({ username: admin.username, password: admin.password });
}, 300_000);
// 257 `$disconnect`s: in the bundle runtime (LOCAL_RUNTIME=bundles) they take longer than the default hook timeout.
afterAll(async () => {
  sdk?.close();
  await closeAll(...(everyone ?? []));
  await stack?.close();
}, 120_000);

/** Resolves once every one of `members` has a push of `event` matching `check`; returns them by member. */
async function everyoneGets<T>(members: readonly Person[], event: string, check: (data: T, member: Person) => boolean): Promise<void> {
  await Promise.all(members.map((m) => m.client.waitFor(() => m.client.pushes.find((p) => p.event === event && check(p.data as T, m)), 20_000, `${event} to ${m.id}`)));
}

describe(`a group of ${MEMBERS} members, each online`, () => {
  it('gets created, messaged, edited: every member gets each push and each stored copy; the kicked one is out at once', { timeout: 300_000 }, async () => {
    const members = everyone.slice(0, MEMBERS);
    const outsider = everyone[MEMBERS]!;
    const all = ids(...members);

    const group = (await sdk.emitWithAck('new group', { bodies: names('big', all), recipients: all, admin_id: admin.id })) as Group;
    await everyoneGets<Group>(members.slice(1), 'group', (g) => g.id === group.id);
    const dialog = (await sdk.emitWithAck('new dialog', { bodies: names('main', all), recipients: all, dialog: { group_id: group.id } })) as Dialog;
    await everyoneGets<Dialog>(members.slice(1), 'dialog', (d) => d.id === dialog.id);

    // The message frame is over 32 KB: the SDK sent it as chunked frames, none over 32 KB.
    const payload = { message: { dialog_id: dialog.id, client_id: 'big-1' }, bodies: bodiesOf('hello', all) };
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeGreaterThan(90 * 1024);
    const sent = (await sdk.emitWithAck('new message', payload)) as Message;
    const chunks = ws.last.sent.filter((f) => 'chunk' in f);
    expect(chunks.length).toBeGreaterThan(3);
    for (const frame of ws.last.sent) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(32 * 1024);
    await everyoneGets<Message[]>(members.slice(1), 'messages', (ms, m) => ms.some((x) => x.id === sent.id && textOf(x) === `hello for ${m.id}`));
    const copies = await readEach(getDeps(), all, (u) => ({ copy: inboxRef(u, dialog.id, sent.id) }), { consistent: true });
    expect([...copies.values()].filter((c) => c.copy?.body.body).length).toBe(MEMBERS);
    const { record } = await readRecords(getDeps(), { record: { key: { pk: `MSG#${sent.id}`, sk: 'MSG' }, decode: (i) => i } }, { consistent: true });
    expect(record?.pending).toBeUndefined();

    // The sender edits it: one new body per recipient, every copy revised, every member told.
    for (const m of members) m.client.pushes.length = 0;
    const edited1 = (await sdk.emitWithAck('update message', { id: sent.id, bodies: bodiesOf('edited', all), toDelete: false })) as Message;
    expect(edited1.type).toBe('message.updated');
    await everyoneGets<Message[]>(members.slice(1), 'messages', (ms, m) => ms.some((x) => x.id === sent.id && textOf(x) === `edited for ${m.id}`));
    const revised = await readEach(getDeps(), all, (u) => ({ copy: inboxRef(u, dialog.id, sent.id) }), { consistent: true });
    expect([...revised.values()].filter((c) => c.copy?.type === 'message.updated').length).toBe(MEMBERS);

    // Kick the last member, invite the outsider, with a service message to the dialog's recipients after the change.
    const kicked = members.at(-1)!;
    const after = [...all.filter((u) => u !== kicked.id), outsider.id];
    const edited = (await sdk.emitWithAck('edit group', {
      group: { id: group.id, recipients: after, added: [outsider.id], kicked: [kicked.id], bodies: names('big', after) },
      dialogs: [{ id: dialog.id, recipients: after, bodies: names('main', after) }],
      messages: [{ message: { dialog_id: dialog.id, type: 'service.group.user.invited' }, bodies: bodiesOf('welcome', after, 40) }],
    })) as EditedGroup;
    const service = Object.values(edited.messages)[0]!;
    expect(await errorOf(kicked.client, 'new message', { message: { dialog_id: dialog.id }, bodies: bodiesOf('still here?', all) })).toBe('access denied');
    expect(await errorOf(kicked.client, 'get messages before', { dialog_id: dialog.id, last_date: '2094-01-01 00:00:00' })).toBe('access denied');
    const stay = [...members.slice(1, -1), outsider];
    await everyoneGets<Message[]>(stay, 'messages', (ms, m) => ms.some((x) => x.id === service.id && textOf(x) === `welcome for ${m.id}`));
    const serviceCopies = await readEach(getDeps(), after, (u) => ({ copy: inboxRef(u, dialog.id, service.id) }), { consistent: true });
    expect([...serviceCopies.values()].filter((c) => c.copy).length).toBe(after.length);
    expect((await readRecords(getDeps(), { c: inboxRef(kicked.id, dialog.id, service.id) })).c).toBeUndefined();

    // Derived items followed: the outsider's memberships are there, the kicked one's gone.
    const probe = (key: { pk: string; sk: string }) => ({ key, decode: (i: unknown) => i !== undefined });
    const held = await readRecords(
      getDeps(),
      {
        outsiderGroup: probe(groupMemberKey(outsider.id, group.id)),
        outsiderDialog: probe(dialogMemberKey(outsider.id, dialog.id)),
        kickedGroup: probe(groupMemberKey(kicked.id, group.id)),
        kickedDialog: probe(dialogMemberKey(kicked.id, dialog.id)),
      },
      { consistent: true },
    );
    expect(held).toEqual({ outsiderGroup: true, outsiderDialog: true, kickedGroup: false, kickedDialog: false });
    expect((await outsider.client.call<Group[]>('give me groups')).map((g) => g.id)).toEqual([group.id]);
    expect(await kicked.client.call<Group[]>('give me groups')).toEqual([]);
  });
});
