/**
 * Server-initiated frames through the API Gateway Management API: transport
 * only. A post answers `sent`, or `gone` when API Gateway no longer knows the
 * connection (410, confirmed by `GetConnection`: API Gateway also answers 410
 * for a connection it is still setting up, and such a post is tried again);
 * what a gone connection means (its item, its user's
 * presence) is domain/presence.ts's, which is also the one way to push to
 * users and connections (`pushToUsers`, `pushEach`, `pushToConnection`).
 * A frame larger than one API Gateway message goes as its chunks
 * (outbound.ts); that is decided here and in the ack shaper, never by callers.
 */
import { DeleteConnectionCommand, GetConnectionCommand, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { recordPush } from './frame-cost';
import { retry, TryAgain, type RetryPolicy } from './storage/retry';
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
  /** When API Gateway opened the connection (epoch ms), or undefined if it no longer knows it. */
  connectedAt(connectionId: string): Promise<number | undefined>;
}

/** A 410 for a connection `GetConnection` still lists: posted again a few times, then a failure (not `gone`). */
const LIVE_BUT_REFUSED: RetryPolicy = { attempts: 4, baseMs: 20, capMs: 200 };

const isGone = (error: unknown) =>
  (error as { name?: string })?.name === 'GoneException' || (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410;

export function createPusher(management: ApiGatewayManagementApiClient): Pusher {
  const encoder = new TextEncoder();
  const pusher: Pusher = {
    toConnection(connectionId, event, data) {
      const frame: PushFrame = { event, data };
      return pusher.send(connectionId, messagesOf(frame));
    },

    send(connectionId, messages) {
      let pending = messages;
      return retry(
        async (): Promise<Delivery> => {
          for (const _ of pending) recordPush(); // each chunk is a message API Gateway bills
          // Chunks in parallel: the client reassembles in any order.
          const results = await Promise.allSettled(
            pending.map((message) => management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(message) }))),
          );
          const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [{ message: pending[i]!, error: r.reason as unknown }] : []));
          if (refused.length === 0) return 'sent';
          const failure = refused.find((r) => !isGone(r.error));
          if (failure) throw failure.error;
          if ((await pusher.connectedAt(connectionId)) === undefined) return 'gone';
          // Only what was refused goes again: a chunk delivered twice would be one too many.
          pending = refused.map((r) => r.message);
          throw new TryAgain('410 for a connection API Gateway still lists');
        },
        () => false,
        LIVE_BUT_REFUSED,
      );
    },

    async connectedAt(connectionId) {
      try {
        const { ConnectedAt } = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
        return ConnectedAt?.getTime() ?? Date.now();
      } catch (error) {
        if (isGone(error)) return undefined;
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
