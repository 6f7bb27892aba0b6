/**
 * The local gateway's outbound limit, as API Gateway's: no message over 128 KB
 * reaches a client, neither a Management API POST (413
 * PayloadTooLargeException) nor a route response (an integration failure;
 * the client gets nothing). Handlers here are stand-ins that answer a given
 * size, so the limit is tested on its own.
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RouteResponse } from '../lambdas/middleware/aws-event';
import { startGateway, type Gateway, type RouteHandler } from '../local/gateway';
import { TestClient } from './support/client';

const LIMIT = 128 * 1024;
let gateway: Gateway;
let lastConnectionId = '';

/** Answers `{ackId, result: 'x' × data}`: an ack whose JSON is exactly `bodyBytes(n)` bytes long. */
const sized: RouteHandler = async (event) => {
  const { data, ackId } = JSON.parse(event.body!) as { data: number; ackId: number };
  lastConnectionId = event.requestContext.connectionId;
  return { statusCode: 200, body: JSON.stringify({ ackId, result: 'x'.repeat(data) }) } satisfies RouteResponse;
};
const ok: RouteHandler = async () => ({ statusCode: 200 });
const overhead = JSON.stringify({ ackId: 1, result: '' }).length;

beforeAll(async () => {
  gateway = await startGateway({ port: 0, handlers: new Map([['$connect', ok], ['$disconnect', ok], ['$default', sized]]) });
});
afterAll(() => gateway.close());

describe('outbound message limit (128 KB)', () => {
  it('delivers a route response of exactly 128 KB and drops one byte more, logging an integration failure', async () => {
    const client = await TestClient.connect(gateway.url);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      client.sendRaw(JSON.stringify({ data: LIMIT - overhead + 1, ackId: 2 }));
      await vi.waitFor(() => expect(errors.mock.calls.flat().join('')).toContain('integration failed'));
      client.sendRaw(JSON.stringify({ data: LIMIT - overhead, ackId: 1 }));
      const ack = await client.waitFor(() => client.acks.find((a) => a.ackId === 1));
      expect(Buffer.byteLength(JSON.stringify(ack))).toBe(LIMIT);
      expect(client.acks.map((a) => a.ackId)).toEqual([1]);
      expect(client.closed).toBeUndefined();
    } finally {
      errors.mockRestore();
      await client.close();
    }
  });

  it('answers a Management API POST over 128 KB with 413 PayloadTooLargeException and delivers nothing', async () => {
    const client = await TestClient.connect(gateway.url);
    client.sendRaw(JSON.stringify({ data: 1, ackId: 1 }));
    await client.waitFor(() => client.acks[0]);
    const management = new ApiGatewayManagementApiClient({ endpoint: gateway.managementEndpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const post = (bytes: number) => management.send(new PostToConnectionCommand({ ConnectionId: lastConnectionId, Data: Buffer.from(JSON.stringify({ event: 'big', data: 'y'.repeat(bytes) })) }));
    const pushOverhead = JSON.stringify({ event: 'big', data: '' }).length;
    const refused = await post(LIMIT - pushOverhead + 1).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } });
    await post(LIMIT - pushOverhead);
    const push = await client.waitFor(() => client.pushes[0]);
    expect(Buffer.byteLength(JSON.stringify(push))).toBe(LIMIT);
    expect(client.pushes).toHaveLength(1);
    await client.close();
  });
});
