/** What the load scripts (bench/soak.ts, bench/load.ts) share: a lean WebSocket client, a bounded pool, percentiles by time slice, memory after a full GC. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket } from 'ws';
import { percentile } from './args';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Ack {
  ackId: number;
  error: string | null;
  result: unknown;
}
interface Push {
  event: string;
  data: unknown;
}

/** Resolves acks by id and hands pushes to `onPush`; keeps nothing else. Counts every ack, duplicates included. */
export class LeanClient {
  private nextAck = 1;
  private readonly waiting = new Map<number, (ack: Ack) => void>();
  /** Acks whose ackId was already answered (or never asked). */
  strayAcks = 0;
  pushes = 0;
  onPush: (push: Push) => void = () => {};

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Partial<Ack> & Push;
      if (frame.ackId === undefined) {
        this.pushes++;
        return this.onPush(frame);
      }
      const resolve = this.waiting.get(frame.ackId);
      if (!resolve) return void this.strayAcks++;
      this.waiting.delete(frame.ackId);
      resolve(frame as Ack);
    });
  }

  static connect(url: string): Promise<LeanClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new LeanClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The ack of a frame, or undefined if none came within `timeoutMs`. */
  request(event: string, data?: unknown, timeoutMs = 30_000): Promise<Ack | undefined> {
    const ackId = this.nextAck++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // A late ack then counts as stray, not as a second answer.
        this.waiting.delete(ackId);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(ackId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      this.socket.send(JSON.stringify({ event, data, ackId }));
    });
  }

  async call<T>(event: string, data?: unknown): Promise<T> {
    const ack = await this.request(event, data);
    if (!ack) throw new Error(`${event}: no ack`);
    if (ack.error !== null) throw new Error(`${event}: ${ack.error}`);
    return ack.result as T;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The process's memory after a full GC, in MB. */
export function memory(label: string) {
  gc();
  const m = process.memoryUsage();
  return { label, rss: mb(m.rss), heap: mb(m.heapUsed), external: mb(m.external) };
}

/** Latency of the samples whose `at` falls in each of `parts` equal slices of the run. */
export function slices(samples: { at: number; ms: number }[], parts: number) {
  const span = Math.max(0, ...samples.map((s) => s.at)) + 1;
  return Array.from({ length: parts }, (_, k) => {
    const slice = samples.filter((s) => Math.floor((s.at / span) * parts) === k).map((s) => s.ms).sort((x, y) => x - y);
    return { part: k + 1, count: slice.length, p50: percentile(slice, 50), p99: percentile(slice, 99), max: slice.at(-1) ?? 0 };
  });
}
