/**
 * Server-initiated frames through the API Gateway Management API: in parallel
 * with a bound; a connection that answers 410 Gone is deleted (the gone one,
 * never the sender) and reported to `onGone` so presence can follow.
 * Pushes to users (whose connections come from their presence items) are
 * domain/presence.ts's `pushToUsers` / `pushEach`.
 */
import { DeleteConnectionCommand, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config';
import { log } from './log';
import { recordPush } from './metrics';
import { messagesOf } from './outbound';
import { closeConnection, type Connection } from './storage/connections';
import { mapBounded } from './storage/store';

/** Lightweight connections (`isLightweight`) receive only these pushes. */
export const LIGHTWEIGHT_EVENTS = new Set(['log out please', 'subscribe please', 'messages']);

export interface Pusher {
  /** true if delivered, false if the connection is gone. */
  toConnection(connectionId: string, event: string, data: unknown): Promise<boolean>;
  /** Sends the messages of one frame (outbound.ts `messagesOf`: itself, or its chunks); true if delivered, false if the connection is gone. */
  send(connectionId: string, messages: readonly string[]): Promise<boolean>;
  /** The same frame to several connections; lightweight ones only get LIGHTWEIGHT_EVENTS. */
  toConnections(connections: readonly (Pick<Connection, 'connectionId' | 'lightweight'>)[], event: string, data: unknown): Promise<void>;
  /** Closes a connection from the server side. */
  disconnect(connectionId: string): Promise<void>;
  /** Called once for every connection found gone during a push. */
  onGone: ((connection: Connection) => Promise<void>) | undefined;
}

const isGone = (error: unknown) =>
  (error as { name?: string })?.name === 'GoneException' || (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410;

export function createPusher(deps: { db: DynamoDBDocumentClient; config: Config; management: ApiGatewayManagementApiClient }): Pusher {
  const store = { db: deps.db, config: deps.config };
  const encoder = new TextEncoder();

  const pusher: Pusher = {
    onGone: undefined,

    toConnection(connectionId, event, data) {
      return pusher.send(connectionId, messagesOf({ event, data }));
    },

    async send(connectionId, messages) {
      try {
        for (const _ of messages) recordPush(); // each chunk is a message API Gateway bills
        // Chunks in parallel: the client reassembles in any order.
        await Promise.all(messages.map((message) => deps.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(message) }))));
        return true;
      } catch (error) {
        if (!isGone(error)) throw error;
        const removed = await closeConnection(store, connectionId);
        if (removed && pusher.onGone) await pusher.onGone(removed);
        return false;
      }
    },

    async toConnections(connections, event, data) {
      const targets = connections.filter((c) => !c.lightweight || LIGHTWEIGHT_EVENTS.has(event));
      await mapBounded(targets, deps.config.pushConcurrency, async (c) => {
        try {
          await pusher.toConnection(c.connectionId, event, data);
        } catch (error) {
          // One failing device must not stop the others; the cause is logged, not the payload.
          log.error('push failed', { event, connectionId: c.connectionId, error: String(error) });
        }
      });
    },

    async disconnect(connectionId) {
      try {
        await deps.management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    },
  };
  return pusher;
}
