/**
 * Reassembles chunk frames from the server (docs/protocol.md, Chunked frames) in any
 * order. Bounded: at most `maxBytes` of parts are held; a frame still
 * incomplete after `timeoutMs`, or evicted to stay under the bound, is given
 * up, and its ack (if it is one) fails with `incomplete frame` — never a
 * partial answer.
 */
import { joinParts, utf8Length, type Chunk } from '../lambdas/protocol/chunks';
import type { AckId } from '../lambdas/protocol/frames';

export interface ReassemblyOptions {
  /** @default 30000 */
  timeoutMs?: number;
  /** @default 8 MiB: more than the largest frame the server sends (6 MiB). */
  maxBytes?: number;
}

interface Partial {
  of: number;
  parts: (string | undefined)[];
  received: number;
  bytes: number;
  ackId: AckId | undefined;
  timer: ReturnType<typeof setTimeout>;
}

export class Reassembly {
  private readonly partials = new Map<string, Partial>();
  private bytes = 0;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  /** @param giveUp called once per frame abandoned, with its ackId if it had one. */
  constructor(
    private readonly giveUp: (ackId: AckId | undefined, reason: string) => void,
    options: ReassemblyOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  /** The whole frame's text once this chunk completes it; undefined while parts are missing (or a duplicate). */
  add(chunk: Chunk): string | undefined {
    let partial = this.partials.get(chunk.id);
    if (!partial) {
      if (chunk.of === 1) return chunk.part;
      partial = { of: chunk.of, parts: new Array(chunk.of), received: 0, bytes: 0, ackId: chunk.ackId, timer: setTimeout(() => this.abandon(chunk.id, 'timeout'), this.timeoutMs) };
      this.partials.set(chunk.id, partial);
    }
    if (partial.of !== chunk.of || partial.parts[chunk.seq] !== undefined) return undefined; // inconsistent or duplicate: ignored
    const size = utf8Length(chunk.part);
    partial.parts[chunk.seq] = chunk.part;
    partial.received += 1;
    partial.bytes += size;
    this.bytes += size;
    if (partial.received === partial.of) {
      const text = joinParts(partial.parts, partial.of);
      this.forget(chunk.id);
      return text;
    }
    // Over the bound: give up the oldest frames (Map order) until it fits, this one last.
    for (const id of this.partials.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.abandon(id, 'buffer full');
    }
    return undefined;
  }

  /** Drops everything held (the connection is gone: its acks fail anyway). */
  clear(): void {
    for (const id of [...this.partials.keys()]) this.forget(id);
  }

  private abandon(id: string, reason: string): void {
    const partial = this.partials.get(id);
    if (!partial) return;
    this.forget(id);
    this.giveUp(partial.ackId, reason);
  }

  private forget(id: string): void {
    const partial = this.partials.get(id);
    if (!partial) return;
    clearTimeout(partial.timer);
    this.bytes -= partial.bytes;
    this.partials.delete(id);
  }
}
