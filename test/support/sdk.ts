/** Helpers for testing the client SDK against the local stack. */
import { WebSocket } from 'ws';
import { getDeps } from '../../lambdas/deps';
import { connectionsOfUser } from '../../lambdas/storage/connections';
import type { MessengerClient } from '../../client/index';

export interface WireFrame {
  event?: string;
  data?: unknown;
  ackId?: number | string;
  error?: string | null;
  result?: unknown;
}

/**
 * `ws`'s WebSocket, recording every frame each socket sends and receives. `hold()`
 * stalls the uplink (frames wait in the socket, as on a congested network) until
 * `release()`; frames still held when the socket closes are lost.
 */
export function recordingWebSocket() {
  const sockets: Recorded[] = [];
  class Recorded extends WebSocket {
    readonly sent: WireFrame[] = [];
    readonly received: WireFrame[] = [];
    private held: string[] | undefined;

    constructor(url: string) {
      super(url);
      sockets.push(this);
      // Empty frames (a two-way route's answer without a body) are not protocol frames: the SDK ignores them too.
      this.on('message', (raw) => String(raw) !== '' && this.received.push(JSON.parse(String(raw)) as WireFrame));
    }

    override send(data: string, ...rest: unknown[]): void {
      this.sent.push(JSON.parse(data) as WireFrame);
      if (this.held) this.held.push(data);
      else (super.send as (...args: unknown[]) => void).call(this, data, ...rest);
    }

    hold(): void {
      this.held ??= [];
    }

    release(): void {
      const held = this.held ?? [];
      this.held = undefined;
      for (const data of held) super.send(data);
    }
  }
  return {
    WebSocket: Recorded,
    sockets,
    get last(): Recorded {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket yet');
      return socket;
    },
  };
}

/** Closes every connection of a user from the server side, through the Management API (DELETE @connections/{id}). */
export async function closeFromServer(userId: number): Promise<number> {
  const deps = getDeps();
  const connections = await connectionsOfUser(deps, userId);
  await Promise.all(connections.map((c) => deps.push.disconnect(c.connectionId)));
  return connections.length;
}

/** The next payload of a client event (push or lifecycle). */
export function next<T = unknown>(client: MessengerClient, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    client.untyped.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload as T);
    });
  });
}

/** Polls until `check` returns a value other than undefined / false. */
export async function until<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
