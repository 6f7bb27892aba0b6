/** Chunked frames (lambdas/protocol/chunks.ts): split/join round trips, every chunk under its byte limit, lost chunks detected. */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Reassembly } from '../client/reassembly';
import { FrameTooLarge, messagesOf } from '../lambdas/outbound';
import { CHUNK_LIMITS, chunkOf, cutParts, joinParts, splitFrame, utf8Length, type Chunk } from '../lambdas/protocol/chunks';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
// Lone surrogates, quotes, backslashes, control and astral characters: everything that changes a part's escaped size.
const tricky = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0001', 'é', '€', '😀', '\ud800', '\udc00', 'z'), maxLength: 3000 });
const frameText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((data) => JSON.stringify({ event: 'new message', data, ackId: 7 })),
  tricky.map((body) => JSON.stringify({ ackId: 'a-1', error: null, result: { body } })),
);
const shuffled = <T>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

describe('chunked frames', () => {
  it('utf8Length agrees with Buffer on any string', () => {
    fc.assert(fc.property(fc.oneof(tricky, fc.string({ unit: 'binary' })), (text) => {
      expect(utf8Length(text)).toBe(bytes(text));
    }));
  });

  it('cutParts: each part fits its budget as a JSON string, and the parts concatenate to the text', () => {
    fc.assert(
      fc.property(tricky, fc.integer({ min: 6, max: 200 }), (text, budget) => {
        const parts = cutParts(text, budget);
        expect(parts.join('')).toBe(text);
        for (const part of parts) expect(bytes(JSON.stringify(part)) - 2).toBeLessThanOrEqual(budget);
      }),
    );
  });

  it('split → any order → join gives the frame back; every chunk frame is valid JSON within maxBytes', () => {
    fc.assert(
      fc.property(frameText, fc.integer({ min: 120, max: 2000 }), fc.boolean(), (text, maxBytes, toServer) => {
        const frames = splitFrame(text, { maxBytes, id: 'c1', ackId: 7, ...(toServer ? { event: 'new message' } : {}) });
        if (bytes(text) <= maxBytes) {
          expect(frames).toEqual([text]);
          return;
        }
        const chunks = frames.map((frame) => {
          expect(bytes(frame)).toBeLessThanOrEqual(maxBytes);
          const parsed = JSON.parse(frame) as Record<string, unknown>;
          // Server → client: neither an ack nor a push for a client that does not know chunks.
          expect('ackId' in parsed).toBe(false);
          expect(parsed.event).toBe(toServer ? 'new message' : undefined);
          const chunk = chunkOf(parsed)!;
          expect(chunk).toMatchObject({ id: 'c1', of: frames.length, ackId: 7 });
          return chunk;
        });
        fc.assert(
          fc.property(shuffled(chunks), (arrived) => {
            const parts: (string | undefined)[] = new Array(chunks.length);
            for (const c of arrived) parts[c.seq] = c.part;
            expect(joinParts(parts, chunks[0]!.of)).toBe(text);
          }),
          { numRuns: 5 },
        );
      }),
      { numRuns: 200 },
    );
  });

  it('a lost chunk is detected: any missing part leaves the frame incomplete', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '"', '😀', '\ud800'), minLength: 201, maxLength: 2000 }), fc.nat(), (body, pick) => {
        const frames = splitFrame(JSON.stringify({ event: 'messages', data: body }), { maxBytes: 150, id: 'x' });
        const chunks = frames.map((f) => chunkOf(JSON.parse(f))!) as Chunk[];
        const lost = pick % chunks.length;
        const parts = chunks.map((c, i) => (i === lost ? undefined : c.part));
        expect(joinParts(parts, chunks.length)).toBeUndefined();
      }),
    );
  });

  it('chunkOf refuses malformed chunks', () => {
    const ok = { id: 'a', seq: 0, of: 1, part: '' };
    expect(chunkOf({ chunk: ok })).toEqual(ok);
    for (const bad of [
      { ...ok, id: '' },
      { ...ok, id: 'x'.repeat(65) },
      { ...ok, seq: 1 },
      { ...ok, seq: -1 },
      { ...ok, of: 0 },
      { ...ok, of: 1001, seq: 0 },
      { ...ok, of: 1.5 },
      { ...ok, part: 5 },
      { ...ok, ackId: -1 },
    ]) expect(chunkOf({ chunk: bad }), JSON.stringify(bad)).toBeUndefined();
    expect(chunkOf({ event: 'x' })).toBeUndefined();
    expect(chunkOf('chunk')).toBeUndefined();
  });
});

describe('client reassembly (client/reassembly.ts)', () => {
  const chunksOf = (text: string, id: string, ackId?: number) => splitFrame(text, { maxBytes: 100, id, ...(ackId !== undefined ? { ackId } : {}) }).map((f) => chunkOf(JSON.parse(f))!);

  it('completes in any order, ignores duplicates, and gives nothing up', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '"', '\\', '€', '😀'), minLength: 51, maxLength: 1000 }), fc.nat(), (body, seed) => {
        const giveUp = vi.fn();
        const reassembly = new Reassembly(giveUp);
        const text = JSON.stringify({ event: 'messages', data: body });
        const chunks = chunksOf(text, 'a');
        const order = chunks.map((c, i) => ({ c, k: (i * 7919 + seed) % 1009 })).sort((x, y) => x.k - y.k).map((x) => x.c);
        const results = [...order, order[0]!].map((c) => reassembly.add(c));
        expect(results.filter((r) => r !== undefined)).toEqual([text]);
        reassembly.clear();
        expect(giveUp).not.toHaveBeenCalled();
      }),
    );
  });

  it('gives up an incomplete frame after the timeout, naming its ack', () => {
    vi.useFakeTimers();
    try {
      const giveUp = vi.fn();
      const reassembly = new Reassembly(giveUp, { timeoutMs: 1000 });
      const chunks = chunksOf(JSON.stringify({ ackId: 5, error: null, result: 'r'.repeat(500) }), 'b', 5);
      for (const c of chunks.slice(1)) expect(reassembly.add(c)).toBeUndefined();
      vi.advanceTimersByTime(999);
      expect(giveUp).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(giveUp).toHaveBeenCalledExactlyOnceWith(5, 'timeout');
      // The lost chunk arriving late starts nothing whole.
      expect(reassembly.add(chunks[0]!)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds at most maxBytes of parts: the oldest incomplete frame is given up first', () => {
    const giveUp = vi.fn();
    const reassembly = new Reassembly(giveUp, { maxBytes: 1500 });
    const first = chunksOf(JSON.stringify({ ackId: 1, error: null, result: 'a'.repeat(1000) }), 'one', 1);
    const second = chunksOf(JSON.stringify({ ackId: 2, error: null, result: 'b'.repeat(1000) }), 'two', 2);
    for (const c of first.slice(1)) reassembly.add(c);
    expect(giveUp).not.toHaveBeenCalled();
    for (const c of second.slice(1)) reassembly.add(c);
    expect(giveUp).toHaveBeenCalledExactlyOnceWith(1, 'buffer full');
    expect(reassembly.add(second[0]!)).toContain('"ackId":2');
    reassembly.clear();
  });
});

describe('server frames (lambdas/outbound.ts)', () => {
  it('one message up to 120 KB, chunks of at most 120 KB above it, and nothing over 6 MiB', () => {
    const small = { event: 'online', data: [1, 2] };
    expect(messagesOf(small)).toEqual([JSON.stringify(small)]);
    const ack = { ackId: 3, error: null, result: 'r'.repeat(CHUNK_LIMITS.outboundMessageBytes) };
    const messages = messagesOf(ack);
    expect(messages.length).toBe(2);
    const parts: string[] = [];
    for (const m of messages) {
      expect(bytes(m)).toBeLessThanOrEqual(CHUNK_LIMITS.outboundMessageBytes);
      const chunk = chunkOf(JSON.parse(m))!;
      expect(chunk.ackId).toBe(3);
      parts[chunk.seq] = chunk.part;
    }
    expect(JSON.parse(parts.join(''))).toEqual(ack);
    expect(() => messagesOf({ ackId: 4, error: null, result: 'x'.repeat(CHUNK_LIMITS.outboundFrameBytes) })).toThrow(FrameTooLarge);
  });
});
