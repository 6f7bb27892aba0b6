/**
 * What the message frames cost in DynamoDB requests and write units, read
 * from the chain's per-frame measurement (metrics.observeFrames): reads do
 * not grow with the number of dialogs or messages, and a message to n
 * recipients is one transaction of O(n) writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import type { FrameRecord } from '../lambdas/frame-cost';
import type { Dialog, Group, Message } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import type { TestClient } from './support/client';
import { closeAll, ids, messagePayload, names, newDialog, people, send, type Person } from './support/conversations';
import { recordFrames } from './support/frame-costs';
import { BULK_RATE_LIMITS, startTestStack } from './support/stack';

let stack: LocalStack;
let recorder: ReturnType<typeof recordFrames>;

beforeAll(async () => {
  // Hundreds of messages and dialogs from one user in seconds build the test data.
  stack = await startTestStack({ env: BULK_RATE_LIMITS });
  recorder = recordFrames();
});
afterAll(async () => {
  recorder.stop();
  await stack.close();
});

/** The measured cost of one frame sent by `client`. */
const costOf = (client: TestClient, event: string, data?: unknown) => recorder.costOf(client, event, data);

describe('message frames cost the same however much there is', () => {
  it('give me messages: 2 vs 60 dialogs (newest of each + unread) — same requests', { timeout: 60_000 }, async () => {
    const [few, many, other] = await people(stack, 3);
    for (const [hub, dialogs] of [[few!, 2], [many!, 60]] as const) {
      for (let i = 0; i < dialogs; i++) {
        const dialog = await newDialog(other!, [hub]);
        const first = await send(other!, dialog, `first ${i}`);
        await send(other!, dialog, `second ${i}`);
        // Every other first message is read: the answer mixes newest-and-unread, newest-and-read and older unread ones.
        if (i % 2 === 0) await hub.client.call('read messages', { ids: [first.id] });
      }
    }
    const a = await costOf(few!.client, 'give me messages');
    const b = await costOf(many!.client, 'give me messages');
    expect((await few!.client.call<Message[]>('give me messages')).length).toBe(2 + 1);
    expect((await many!.client.call<Message[]>('give me messages')).length).toBe(60 + 30);
    console.info('give me messages, DynamoDB requests (2 vs 60 dialogs):', a.dynamoRequests, b.dynamoRequests);
    // Session, Query of memberships ∥ Query of the unread index, BatchGet of heads, BatchGet of the newest copies.
    expect(a.dynamoRequests).toBe(5);
    expect(b.dynamoRequests).toBe(a.dynamoRequests);
    // And give me dialogs: session, Query, BatchGets of heads and names (two keys a dialog, 100 keys a request), as give me users.
    expect((await costOf(few!.client, 'give me dialogs')).dynamoRequests).toBe(2 + Math.ceil((2 * 2) / 100));
    expect((await costOf(many!.client, 'give me dialogs')).dynamoRequests).toBe(2 + Math.ceil((2 * 60) / 100));
    await closeAll(few!, many!, other!);
  });

  it('get messages before: 3 vs 200 messages in the dialog — same requests', { timeout: 60_000 }, async () => {
    const [ann, bob] = await people(stack, 2);
    const short = await newDialog(ann!, [bob!]);
    const long = await newDialog(ann!, [bob!]);
    for (let i = 0; i < 3; i++) await send(ann!, short, `s${i}`);
    for (let i = 0; i < 200; i++) await send(ann!, long, `l${i}`);
    const page = (dialog: Dialog) => ({ dialog_id: dialog.id, last_date: '2094-01-01 00:00:00', limit: 50 });
    const a = await costOf(bob!.client, 'get messages before', page(short));
    const b = await costOf(bob!.client, 'get messages before', page(long));
    console.info('get messages before, DynamoDB requests (3 vs 200 messages):', a.dynamoRequests, b.dynamoRequests);
    // Session, GetItem of the membership, one Query.
    expect([a.dynamoRequests, b.dynamoRequests]).toEqual([3, 3]);
    // Waited for one after the other: the session, then the membership and the Query together.
    expect([a.dynamoRoundTrips, b.dynamoRoundTrips]).toEqual([2, 2]);
    expect(await bob!.client.call<Message[]>('get messages before', page(long))).toHaveLength(50);
    await closeAll(ann!, bob!);
  });

  it('a message to n recipients: one more request per 25 recipients; write units grow by one copy per recipient', { timeout: 60_000 }, async () => {
    const [admin, ...others] = await people(stack, 30, { linked: false });
    for (const p of others) await linkUsers(getDeps(), admin!.id, p.id);
    for (const p of [admin!, ...others]) p.client.pushes.length = 0;
    const costs: Record<number, FrameRecord> = {};
    for (const n of [2, 10, 30]) {
      const members: Person[] = [admin!, ...others.slice(0, n - 1)];
      const recipients = ids(...members);
      const group = await admin!.client.call<Group>('new group', { bodies: names('g', recipients), recipients, admin_id: admin!.id });
      const dialog = await admin!.client.call<Dialog>('new dialog', { bodies: names('d', recipients), recipients, dialog: { group_id: group.id } });
      costs[n] = await costOf(admin!.client, 'new message', messagePayload(dialog, 'hello'));
    }
    const table = Object.fromEntries(Object.entries(costs).map(([n, c]) => [n, { requests: c.dynamoRequests, writeUnits: c.writeUnits, pushes: c.pushes }]));
    console.info('new message to n recipients:', JSON.stringify(table));
    // Session, the rate limit's UpdateItem, one BatchGet (head, profile), the outbox's PutItem, one transaction,
    // a BatchWrite per 25 copies, the UpdateItem that clears `pending`, one BatchGet of presence items.
    expect([costs[2]!.dynamoRequests, costs[10]!.dynamoRequests, costs[30]!.dynamoRequests]).toEqual([8, 8, 9]);
    // The bucket's 1 unit; the outbox (1 unit per KB of bodies); a transaction of the head and the message item
    // (2 units each: transactions bill twice); n copies at 1 unit each (BatchWrite); `pending` cleared (1).
    // Once 1 + 2 · (n + 2): 9, 25, 65.
    for (const n of [2, 10, 30]) {
      const outbox = costs[n]!.writeUnits - (1 + 2 * 2 + n + 1);
      expect(outbox).toBeGreaterThanOrEqual(1);
      expect(outbox).toBeLessThanOrEqual(Math.ceil(n / 10));
    }
    // Every other recipient is online with one connection.
    for (const n of [2, 10, 30]) expect(costs[n]!.pushes).toBe(n - 1);

    // One to one, with a client_id: one more read (the caller's links); the client id item joins the transaction.
    const pair = await newDialog(admin!, [others[0]!]);
    const direct = await costOf(admin!.client, 'new message', messagePayload(pair, 'direct', { client_id: 'c-1' }));
    console.info('new message one to one:', JSON.stringify({ requests: direct.dynamoRequests, writeUnits: direct.writeUnits }));
    expect(direct.dynamoRequests).toBe(9);
    expect(direct.writeUnits).toBe(1 + 1 + 2 * 3 + 2 + 1);
    await closeAll(admin!, ...others);
  });
});
