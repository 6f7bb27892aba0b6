/** A raw WebSocket test client speaking protocol §1: requests with ackIds, acks, pushes. */
import { WebSocket } from 'ws';
import { Reassembly } from '../../client/reassembly';
import { chunkOf, claimsChunk } from '../../lambdas/protocol/chunks';
import type { AckFrame, PushFrame } from '../../lambdas/protocol/frames';

export class TestClient {
  readonly pushes: PushFrame[] = [];
  readonly acks: AckFrame[] = [];
  private nextAck = 1;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  /** Every frame received, empty ones included. */
  frames = 0;

  /** Chunk frames (docs/protocol.md, Chunked frames) of frames larger than one message, until they are whole. */
  private readonly reassembly = new Reassembly((ackId, reason) => {
    throw new Error(`chunked frame for ack ${String(ackId)} incomplete: ${reason}`);
  });

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      this.frames++;
      // API Gateway answers a two-way route whose integration returned no body with an empty frame: not a protocol frame.
      if ((raw as Buffer).length === 0) return this.notify();
      const parsed = JSON.parse(raw.toString()) as unknown;
      const whole = claimsChunk(parsed) ? this.reassembly.add(chunkOf(parsed)!) : raw.toString();
      if (whole === undefined) return;
      const frame = JSON.parse(whole) as AckFrame | PushFrame;
      if ('ackId' in frame) this.acks.push(frame);
      else this.pushes.push(frame);
      this.notify();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  private notify() {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Resolves when `check` returns a value, or rejects after `timeoutMs`. */
  waitFor<T>(check: () => T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const attempt = () => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(attempt);
      };
      attempt();
    });
  }

  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void {
    this.socket.send(data, { binary: options?.binary ?? false });
  }

  /** Sends one message as frames of at most 32 KB, as API Gateway requires (sendRaw sends a single frame). */
  sendFragmented(text: string): void {
    const bytes = Buffer.from(text);
    const size = 32 * 1024;
    if (bytes.length <= size) return this.sendRaw(text);
    for (let at = 0; at < bytes.length; at += size) this.socket.send(bytes.subarray(at, at + size), { fin: at + size >= bytes.length, binary: false });
  }

  /** Sends a frame with a fresh ackId and resolves with its ack. */
  async request(event: string, data?: unknown): Promise<AckFrame> {
    const ackId = this.nextAck++;
    this.sendFragmented(JSON.stringify({ event, data, ackId }));
    return this.waitFor(() => this.acks.find((a) => a.ackId === ackId), 10_000, `ack of ${event}`);
  }

  /** The result of a request that must succeed. */
  async call<T = unknown>(event: string, data?: unknown): Promise<T> {
    const ack = await this.request(event, data);
    if (ack.error !== null) throw new Error(`${event} failed: ${ack.error}`);
    return ack.result as T;
  }

  /** The next push of `event` not yet consumed. */
  async push<T = unknown>(event: string, timeoutMs = 5000): Promise<T> {
    const frame = await this.waitFor(() => this.pushes.find((p) => p.event === event), timeoutMs, `push ${event}`);
    this.pushes.splice(this.pushes.indexOf(frame), 1);
    return frame.data as T;
  }

  waitClosed(timeoutMs = 5000) {
    return this.waitFor(() => this.closed, timeoutMs, 'close');
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.socket.close();
    return this.waitClosed().then(() => undefined);
  }
}
