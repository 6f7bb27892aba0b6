/**
 * Real sizes, in a lean form for CI (the full sizes — 1,500 contacts with two
 * keys, 1,000 dialogs, 200 groups — run in bench/scale.ts): a user with 1,500
 * accepted contacts gets complete answers through the SDK, in chunks, and no
 * frame on the wire is over API Gateway's 128 KB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../client/index';
import { getDeps } from '../lambdas/deps';
import type { ContactUser, Dialog, Group, Key } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { provisionNetwork, type Network } from '../local/provision-network';
import { recordingWebSocket } from './support/sdk';
import { createTestUser, startTestStack } from './support/stack';

let stack: LocalStack;
let network: Network;
let ownerId: number;
const CONTACTS = 1500;

beforeAll(async () => {
  stack = await startTestStack();
  ownerId = (await createTestUser({ username: 'scale-owner', password: 'scale-secret' })).id;
  network = await provisionNetwork(getDeps(), ownerId, { contacts: CONTACTS, keysPerContact: 2, dialogs: 20, groups: 5 });
}, 120_000);
afterAll(() => stack.close());

describe(`a user with ${CONTACTS} contacts`, () => {
  it('gets every contact, key, dialog and group whole, and every frame on the wire is under 128 KB', { timeout: 60_000 }, async () => {
    const ws = recordingWebSocket();
    const client = connect(stack.url, { WebSocket: ws.WebSocket, heartbeatMs: 0, ackTimeoutMs: 30_000, reconnection: false });
    try {
      await client.login({ username: 'scale-owner', password: 'scale-secret' });
      const users = (await client.emitWithAck('give me users')) as ContactUser[];
      expect(users.map((u) => u.id).sort((a, b) => a - b)).toEqual(network.contactIds);
      expect(users.every((u) => u.PublicKeys.length === 2)).toBe(true);
      const keys = (await client.emitWithAck('give me keys')) as Key[];
      expect(keys.filter((k) => k.user_id !== ownerId)).toHaveLength(CONTACTS * 2);
      const dialogs = (await client.emitWithAck('give me dialogs')) as Dialog[];
      expect(dialogs.map((d) => d.id).sort((a, b) => a - b)).toEqual([...network.dialogIds].sort((a, b) => a - b));
      const groups = (await client.emitWithAck('give me groups')) as Group[];
      expect(groups.map((g) => g.id).sort((a, b) => a - b)).toEqual([...network.groupIds].sort((a, b) => a - b));
      const received = ws.last.received;
      expect(received.filter((f) => 'chunk' in f).length).toBeGreaterThan(5);
      for (const frame of received) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(128 * 1024);
    } finally {
      client.close();
    }
  });
});
