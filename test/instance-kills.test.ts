/**
 * The `killInstance` fault in the bundle runtime: the worker of a function
 * instance is terminated mid-invocation (local/bundles.ts), as Lambda loses
 * an instance. API Gateway then answers the frame with its own message,
 * `{"message": "Internal server error", "connectionId": …, "requestId": …}`,
 * and no ack (emulated by local/gateway.ts; the in-process runtime's kills:
 * test/faults.test.ts). The dead instance is not reused: the next frame
 * starts another.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureSynth } from '../local/synth';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  await ensureSynth();
  stack = await startTestStack({ runtime: 'bundles', env: { FAULTS: 'killInstance:0' } });
}, 300_000);
afterAll(() => stack?.close());

it('a terminated worker: the client gets API Gateway’s integration failure, and the next frame a new instance', async () => {
  const client = await TestClient.connect(stack.url);
  const ping = stack.bundles!.functions.get('ping')!;
  // Unauthenticated: still an invocation of the ping function, answered with an ack.
  expect((await client.request('ping')).error).toBe('not authenticated');
  const faults = stack.gateway.faults!;
  faults.setRate('killInstance', 1);
  // A kill falls somewhere in its invocation's first 40 ms: a quick invocation may end before it.
  let failure: unknown;
  for (let i = 0; i < 200 && !failure; i++) {
    const ackId = `kill-${i}`;
    client.sendRaw(JSON.stringify({ event: 'ping', ackId }));
    const outcome = await client.waitFor(() => client.acks.find((a) => a.ackId === ackId) ?? client.pushes.find((p) => 'message' in p), 10_000, 'ack or failure');
    if (!('ackId' in outcome)) failure = outcome;
  }
  faults.setRate('killInstance', 0);
  expect(failure).toMatchObject({ message: 'Internal server error', connectionId: expect.any(String), requestId: expect.any(String) });
  const coldStarts = ping.coldStarts;
  expect((await client.request('ping')).error).toBe('not authenticated');
  expect(ping.coldStarts).toBe(coldStarts + 1);
  await client.close();
}, 60_000);
