/** Unit and property tests of the pure pieces of the chain and the gateway. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DroppedFrame, parseFrame } from '../lambdas/middleware/chain';
import { ProtocolError } from '../lambdas/protocol/errors';
import { isAckId } from '../lambdas/protocol/frames';
import { watchFrameSizes } from '../local/frame-limit';

const eventOf = (body: string, isBase64Encoded = false) => ({
  requestContext: { routeKey: '$default', eventType: 'MESSAGE' as const, connectionId: 'c' },
  body,
  isBase64Encoded,
});

describe('parseFrame', () => {
  it('reads event, data and ackId', () => {
    expect(parseFrame(eventOf('{"event":"who am i","ackId":3}'))).toEqual({ event: 'who am i', data: undefined, ackId: 3 });
    expect(parseFrame(eventOf('{"event":"x","data":{"a":1},"ackId":"k"}'))).toEqual({ event: 'x', data: { a: 1 }, ackId: 'k' });
    expect(parseFrame(eventOf('{"event":"x","ackId":null}'))).toEqual({ event: 'x', data: undefined });
  });

  it('never throws anything but a dropped frame or a protocol error, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ event: v, ackId: v }))), (body) => {
        try {
          const frame = parseFrame(eventOf(body));
          expect(typeof frame.event).toBe('string');
          if (frame.ackId !== undefined) expect(isAckId(frame.ackId)).toBe(true);
        } catch (error) {
          expect(error instanceof DroppedFrame || error instanceof ProtocolError).toBe(true);
          // A protocol error is only raised when it can be answered.
          if (error instanceof ProtocolError) expect(isAckId((error as unknown as { frame: { ackId?: unknown } }).frame.ackId)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('drops binary frames', () => {
    expect(() => parseFrame(eventOf(Buffer.from('{"event":"ping","ackId":1}').toString('base64'), true))).toThrow(DroppedFrame);
  });
});

describe('isAckId', () => {
  it('takes non-negative safe integers and 1–64 character strings only', () => {
    for (const ok of [0, 1, Number.MAX_SAFE_INTEGER, 'a', 'x'.repeat(64)]) expect(isAckId(ok)).toBe(true);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, '', 'x'.repeat(65), null, {}, [], true]) expect(isAckId(bad)).toBe(false);
  });
});

/** Builds a client (masked) WebSocket frame header + payload. */
function frame(length: number): Buffer {
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : length < 65536
        ? Buffer.concat([Buffer.from([0x81, 0x80 | 126]), Buffer.from([length >> 8, length & 255])])
        : (() => {
            const b = Buffer.alloc(10);
            b[0] = 0x81;
            b[1] = 0x80 | 127;
            b.writeBigUInt64BE(BigInt(length), 2);
            return b;
          })();
  return Buffer.concat([header, Buffer.alloc(4, 7), Buffer.alloc(length, 1)]);
}

describe('watchFrameSizes', () => {
  it('finds the first frame over the limit however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        (lengths, cuts) => {
          const stream = Buffer.concat(lengths.map(frame));
          let tripped = 0;
          const feed = watchFrameSizes(32 * 1024, () => tripped++);
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            feed(stream.subarray(at, at + size));
            at += size;
          }
          expect(tripped).toBe(lengths.some((l) => l > 32 * 1024) ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
