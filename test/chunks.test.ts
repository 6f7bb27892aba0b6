/** Chunked frames (lambdas/protocol/chunks.ts): split/join round trips, every chunk under its byte limit, lost chunks detected. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkOf, cutParts, joinParts, splitFrame, utf8Length, type Chunk } from '../lambdas/protocol/chunks';

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
