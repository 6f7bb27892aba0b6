/**
 * Server-initiated frames through the API Gateway Management API: transport
 * only. A post answers `sent`, or `gone` when API Gateway no longer knows the
 * connection (410); what a gone connection means (its item, its user's
 * presence) is domain/presence.ts's, which is also the one way to push to
 * users and connections (`pushToUsers`, `pushEach`, `pushToConnection`).
 * A frame larger than one API Gateway message goes as its chunks
 * (outbound.ts); that is decided here and in the ack shaper, never by callers.
 */
import { DeleteConnectionCommand, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { recordPush } from './frame-cost';
import { messagesOf } from './outbound';
import type { PushName, ServerPushes } from './protocol/events';
import type { PushFrame } from './protocol/frames';

export type Delivery = 'sent' | 'gone';

export interface Pusher {
  /** Posts one push to one connection (as its chunks when it is large). Failures other than 410 Gone throw. */
  toConnection<P extends PushName>(connectionId: string, event: P, data: ServerPushes[P]): Promise<Delivery>;
  /** Posts the messages of one frame (outbound.ts `messagesOf`: itself, or its chunks). Failures other than 410 Gone throw. */
  send(connectionId: string, messages: readonly string[]): Promise<Delivery>;
  /** Closes a connection from the server side (one already gone is fine). */
  disconnect(connectionId: string): Promise<void>;
}

const isGone = (error: unknown) =>
  (error as { name?: string })?.name === 'GoneException' || (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410;

export function createPusher(management: ApiGatewayManagementApiClient): Pusher {
  const encoder = new TextEncoder();
  const pusher: Pusher = {
    toConnection(connectionId, event, data) {
      const frame: PushFrame = { event, data };
      return pusher.send(connectionId, messagesOf(frame));
    },

    async send(connectionId, messages) {
      try {
        for (const _ of messages) recordPush(); // each chunk is a message API Gateway bills
        // Chunks in parallel: the client reassembles in any order.
        await Promise.all(messages.map((message) => management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(message) }))));
        return 'sent';
      } catch (error) {
        if (isGone(error)) return 'gone';
        throw error;
      }
    },

    async disconnect(connectionId) {
      try {
        await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    },
  };
  return pusher;
}
