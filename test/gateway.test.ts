/**
 * The local gateway's API Gateway behaviour, seen by the integration: the
 * events it invokes routes with, and what it does with frames no route may
 * see. A recording handler stands in for the functions (the rest of the
 * suite runs the real ones behind the same gateway).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RouteResponse, WebSocketEvent } from '../lambdas/middleware/aws-event';
import { startGateway, type Gateway } from '../local/gateway';
import { TestClient } from './support/client';
import { pause } from './support/contacts';

const events: WebSocketEvent[] = [];
let answer: (event: WebSocketEvent) => RouteResponse = () => ({ statusCode: 200 });
let gateway: Gateway;

beforeAll(async () => {
  const record = async (event: WebSocketEvent) => {
    events.push(event);
    return event.requestContext.eventType === 'MESSAGE' ? answer(event) : { statusCode: 200 };
  };
  gateway = await startGateway({ port: 0, handlers: new Map(['$connect', '$disconnect', '$default', 'ping'].map((key) => [key, record])) });
});
afterAll(() => gateway.close());

const ofConnection = (id: string) => events.filter((e) => e.requestContext.connectionId === id);

async function connected(headers: Record<string, string> = {}) {
  const before = events.length;
  const client = await TestClient.connect(gateway.url, headers);
  const connect = events.slice(before).find((e) => e.requestContext.eventType === 'CONNECT')!;
  return { client, id: connect.requestContext.connectionId, connect };
}

describe('local gateway, as API Gateway', () => {
  it('gives connections ids of API Gateway\'s shape', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { client, id } = await connected();
      expect(id).toMatch(/^[A-Za-z0-9+/]{15}=$/);
      ids.add(id);
      await client.close();
    }
    expect(ids.size).toBe(5);
  });

  it('gives $disconnect AWS\'s disconnect headers, not the client\'s $connect headers', async () => {
    const { client, id, connect } = await connected({ 'x-custom': 'hello', 'user-agent': 'test-agent' });
    expect(connect.headers).toMatchObject({ 'x-custom': 'hello', 'user-agent': 'test-agent' });
    await client.close();
    await client.waitFor(() => ofConnection(id).find((e) => e.requestContext.eventType === 'DISCONNECT'));
    const disconnect = ofConnection(id).find((e) => e.requestContext.eventType === 'DISCONNECT')!;
    expect(disconnect.headers).toEqual({ Host: new URL(gateway.url).host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' });
    expect(disconnect.requestContext).toMatchObject({ routeKey: '$disconnect', disconnectStatusCode: 1005 });
  });

  it('answers a two-way route whose integration returns no body with an empty text frame', async () => {
    const { client, id } = await connected();
    const raw: { data: string; binary: boolean }[] = [];
    client.socket.on('message', (data: Buffer, binary) => raw.push({ data: data.toString(), binary }));
    answer = () => ({ statusCode: 200 });
    client.sendRaw(JSON.stringify({ event: 'ping' }));
    await client.waitFor(() => (client.frames > 0 ? true : undefined));
    expect(raw).toEqual([{ data: '', binary: false }]);
    expect(ofConnection(id).filter((e) => e.requestContext.routeKey === 'ping')).toHaveLength(1);
    // The test client (like the SDK) ignores it.
    expect(client.acks).toEqual([]);
    expect(client.pushes).toEqual([]);
    await client.close();
  });

  it('closes with 1003 on a binary frame and invokes nothing', async () => {
    const { client, id } = await connected();
    client.sendRaw(Buffer.from(JSON.stringify({ event: 'ping', ackId: 1 })), { binary: true });
    expect((await client.waitClosed()).code).toBe(1003);
    await pause(50);
    expect(ofConnection(id).map((e) => e.requestContext.eventType)).toEqual(['CONNECT', 'DISCONNECT']);
  });

  it('closes with 1009 on a frame over 32 KB and never lets a route see it', async () => {
    const { client, id } = await connected();
    // A 40 KB `new message`-sized frame, unfragmented as a browser sends it.
    client.sendRaw(JSON.stringify({ event: 'ping', ackId: 1, data: 'x'.repeat(40_000) }));
    expect((await client.waitClosed()).code).toBe(1009);
    await pause(100);
    expect(ofConnection(id).map((e) => e.requestContext.eventType)).toEqual(['CONNECT', 'DISCONNECT']);
  });

  it('still routes a message of 32 KB fragments', async () => {
    const { client, id } = await connected();
    answer = (event) => ({ statusCode: 200, body: JSON.stringify({ ackId: 1, error: null, result: event.body!.length }) });
    const text = JSON.stringify({ event: 'ping', ackId: 1, data: 'x'.repeat(100_000) });
    client.sendFragmented(text);
    const ack = await client.waitFor(() => client.acks[0]);
    expect(ack.result).toBe(text.length);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect(ofConnection(id).filter((e) => e.requestContext.routeKey === 'ping')).toHaveLength(1);
    await client.close();
  });
});
