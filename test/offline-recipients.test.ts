/**
 * Offline-recipient events (issue 13 item 4), through the real local stack:
 * a message stored for recipients with no live connection produces one event
 * per offline recipient — POSTed to the webhook (OFFLINE_WEBHOOK_URL) as an
 * EventBridge target would receive it — none for online recipients nor the
 * author, and no content. A webhook that fails gets the event again (the
 * stream batch is retried): at least once, with the same idempotency key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Message } from '../lambdas/protocol/objects';
import { OFFLINE_EVENT_DETAIL_TYPE, OFFLINE_EVENT_SOURCE, type OfflineEvent } from '../lambdas/notifications/offline-events';
import type { LocalStack, Runtime } from '../local/stack';
import { pause, pushCount } from './support/contacts';
import { closeAll, ids, newDialog, people, send, seal, type Person } from './support/conversations';
import { startTestStack } from './support/stack';

interface Delivery {
  raw: string;
  envelope: { source: string; 'detail-type': string; detail: OfflineEvent };
}

/** A webhook receiver: records every POST; answers 500 to the next `failNext` of them. */
async function webhook() {
  const deliveries: Delivery[] = [];
  const control = { failNext: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      deliveries.push({ raw, envelope: JSON.parse(raw) });
      if (control.failNext > 0) {
        control.failNext--;
        res.writeHead(500).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  return { url, deliveries, control, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let stack: LocalStack;
let hook: Awaited<ReturnType<typeof webhook>>;

/** The stack of a describe block, its consumer in `runtime`, publishing to a fresh webhook. */
function withStack(runtime: Runtime): void {
  beforeAll(async () => {
    hook = await webhook();
    stack = await startTestStack({ runtime, streamRetryDelayMs: 10, env: { OFFLINE_WEBHOOK_URL: hook.url } });
  }, 300_000);
  afterAll(async () => {
    await stack?.close();
    await hook.close();
  });
}

/** A dialog of four: the author and `online` stay connected, the two others log off (their `$disconnect` runs). */
async function dialogWithTwoOffline(): Promise<{ author: Person; present: Person; away: Person[]; dialog: Dialog }> {
  const [author, present, ...away] = await people(stack, 4, { prefix: 'offline' });
  const dialog = await newDialog(author!, [present!, ...away]);
  await closeAll(...away);
  await author!.client.waitFor(() => (pushCount(author!.client, 'offline') >= 2 ? true : undefined), 5000, 'offline');
  await stack.dynamo.streams.idle();
  hook.deliveries.length = 0;
  return { author: author!, present: present!, away, dialog };
}

const eventsFor = (message: Message) => hook.deliveries.filter((d) => d.envelope.detail.messageId === message.id);

async function oneEventPerOfflineRecipient(): Promise<void> {
  const { author, present, away, dialog } = await dialogWithTwoOffline();
  const message = await send(author, dialog, 'secret text');
  await stack.dynamo.streams.idle();
  const events = eventsFor(message);
  expect(events.map((e) => e.envelope.detail.userId).sort((a, b) => a - b)).toEqual(ids(...away));
  for (const { raw, envelope } of events) {
    expect(envelope.source).toBe(OFFLINE_EVENT_SOURCE);
    expect(envelope['detail-type']).toBe(OFFLINE_EVENT_DETAIL_TYPE);
    expect(envelope.detail).toEqual({
      userId: envelope.detail.userId,
      dialogId: dialog.id,
      messageId: message.id,
      idempotencyKey: `${message.id}:${envelope.detail.userId}`,
    });
    // No body, nonce or name in any form.
    expect(raw).not.toContain('secret text');
    expect(raw).not.toContain(seal('secret text'));
    expect(raw).not.toMatch(/body|nonce/i);
  }
  expect(hook.deliveries).toHaveLength(2);
  // The online recipient got the push instead.
  await present.client.push('messages');
  // Marking read (a MODIFY of the copy) publishes nothing.
  expect(await present.client.call('read messages', { ids: [message.id] })).toBeNull();
  await stack.dynamo.streams.idle();
  await pause(100);
  expect(hook.deliveries).toHaveLength(2);
  await closeAll(author, present);
}

describe('offline-recipient events (in-process)', () => {
  withStack('in-process');

  it('one event per offline recipient, none for online ones or the author, carrying ids only', oneEventPerOfflineRecipient);

  it('a webhook that fails gets the event again, with the same idempotency key', async () => {
    const { author, present, away, dialog } = await dialogWithTwoOffline();
    hook.control.failNext = 1;
    const message = await send(author, dialog, 'again');
    await stack.dynamo.streams.idle();
    const keys = eventsFor(message).map((e) => e.envelope.detail.idempotencyKey);
    // The failed POST and its redelivery share a key; every offline recipient has one at least.
    expect(new Set(keys)).toEqual(new Set(away.map((p) => `${message.id}:${p.id}`)));
    expect(keys.length).toBeGreaterThan(away.length);
    expect(stack.dynamo.streams.deadLetters).toEqual([]);
    await closeAll(author, present);
  });
});

describe('offline-recipient events (bundle runtime: the consumer runs as its bundle and calls PutEvents on the template\'s bus, under its policy)', () => {
  withStack('bundles');

  it('one event per offline recipient, none for online ones or the author, carrying ids only', async () => {
    // The template names the bus, so the bundle publishes with PutEvents (to the local endpoint, which checks the role's grant).
    expect(stack.bundles!.consumers.get('offline-recipients')!.fn.environment.OFFLINE_EVENT_BUS).toMatch(/\S/);
    await oneEventPerOfflineRecipient();
  });
});
