/**
 * The frame log line as an EMF record, checked against the format's rules
 * (CloudWatch extracts a metric only if they hold): every metric a directive
 * names is a number at the top level, every dimension a string there, the
 * timestamp is epoch milliseconds, at most 100 metrics and 30 dimensions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emfOptions, FRAME_METRICS, frameLine } from '../lambdas/emf';
import { ERRORS } from '../lambdas/protocol/errors';
import type { FrameRecord } from '../lambdas/frame-cost';
import { routes } from '../lambdas/routes/table';

type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

function checkEmf(line: Record<string, unknown>): Directive[] {
  const meta = line._aws as { Timestamp: number; CloudWatchMetrics: Directive[] };
  expect(Number.isSafeInteger(meta.Timestamp)).toBe(true);
  for (const directive of meta.CloudWatchMetrics) {
    expect(directive.Metrics.length).toBeLessThanOrEqual(100);
    for (const { Name } of directive.Metrics) expect(typeof line[Name], Name).toBe('number');
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const dimension of set) expect(typeof line[dimension], dimension).toBe('string');
    }
  }
  return meta.CloudWatchMetrics;
}

const record = fc.record({
  route: fc.constantFrom(...routes.map((r) => r.event)),
  ms: fc.double({ min: 0, max: 30_000, noNaN: true }),
  dynamoRequests: fc.nat(50),
  dynamoRoundTrips: fc.nat(50),
  readUnits: fc.double({ min: 0, max: 1000, noNaN: true }),
  writeUnits: fc.double({ min: 0, max: 1000, noNaN: true }),
  pushes: fc.nat(300),
  error: fc.option(fc.constantFrom(...Object.values(ERRORS)), { nil: undefined }),
}) as fc.Arbitrary<FrameRecord>;

describe('frame line', () => {
  it('carries the correlation ids and, on Lambda, per-route metrics plus errors by route and error string', () => {
    fc.assert(
      fc.property(record, fc.uuid(), fc.string({ minLength: 1 }), fc.option(fc.nat(), { nil: undefined }), (frame, awsRequestId, connectionId, userId) => {
        const clean = Object.fromEntries(Object.entries(frame).filter(([, v]) => v !== undefined)) as FrameRecord;
        const line = frameLine(clean, { awsRequestId, connectionId, userId }, { namespace: 'Messenger-staging', now: 1_764_000_000_000 });
        expect(line).toMatchObject({ ...clean, awsRequestId, connectionId });
        expect(line.userId).toBe(userId);
        const directives = checkEmf(JSON.parse(JSON.stringify(line)));
        expect(directives[0]).toEqual({ Namespace: 'Messenger-staging', Dimensions: [['route']], Metrics: FRAME_METRICS.map((m) => ({ Name: m.name, Unit: m.unit })) });
        if (clean.error === undefined) expect(directives).toHaveLength(1);
        else expect(directives[1]).toEqual({ Namespace: 'Messenger-staging', Dimensions: [['route', 'error']], Metrics: [{ Name: 'errors', Unit: 'Count' }] });
      }),
    );
  });

  it('stays a plain line off Lambda, and names the namespace from the environment on it', () => {
    const frame: FrameRecord = { route: 'ping', ms: 1.5, dynamoRequests: 1, dynamoRoundTrips: 1, readUnits: 0.5, writeUnits: 0, pushes: 0 };
    expect(frameLine(frame, { connectionId: 'c1' })).toEqual({ ...frame, connectionId: 'c1' });
    expect(emfOptions({})).toBeUndefined();
    expect(emfOptions({ AWS_LAMBDA_FUNCTION_NAME: 'f', METRICS_NAMESPACE: 'Messenger-staging' })).toEqual({ namespace: 'Messenger-staging' });
    expect(emfOptions({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toEqual({ namespace: 'Messenger' });
  });
});

describe('log.bare', () => {
  it('writes the line to stdout as one JSON object, without a console prefix', async () => {
    const { log } = await import('../lambdas/log');
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stdout.write;
    try {
      log.bare('frame', { route: 'ping', _aws: { Timestamp: 1 } });
    } finally {
      process.stdout.write = original;
    }
    expect(written).toEqual([`${JSON.stringify({ level: 'info', msg: 'frame', route: 'ping', _aws: { Timestamp: 1 } })}\n`]);
  });
});
