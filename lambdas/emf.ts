/**
 * The frame log line as a CloudWatch Embedded Metric Format record: the
 * same JSON line carries the correlation ids and, under `_aws`, tells
 * CloudWatch Logs which of its fields are metrics, so every frame yields
 * per-route metrics with no API call and no extra line. Written by hand: the
 * format is one small object, and @aws-lambda-powertools/metrics costs more
 * bundle than this whole module (docs/benchmarks.md has the figures).
 */
import type { FrameRecord } from './frame-cost';

/** Who and what the line is about; userId once the connection has a session. */
export interface FrameIds {
  awsRequestId?: string;
  connectionId?: string;
  userId?: number;
}

type Unit = 'Count' | 'Milliseconds';

/** Metrics of every frame, by route. */
export const FRAME_METRICS: readonly { name: keyof FrameRecord | 'frames'; unit: Unit }[] = [
  { name: 'frames', unit: 'Count' },
  { name: 'ms', unit: 'Milliseconds' },
  { name: 'dynamoRequests', unit: 'Count' },
  { name: 'dynamoRoundTrips', unit: 'Count' },
  { name: 'readUnits', unit: 'Count' },
  { name: 'writeUnits', unit: 'Count' },
  { name: 'pushes', unit: 'Count' },
];

export interface EmfOptions {
  /** CloudWatch namespace: the stack's name, so stages do not mix. */
  namespace: string;
  now?: number;
}

/**
 * The fields of the frame line. With `emf`, also the EMF metadata: one
 * directive for the per-route metrics, and for a frame answered with an error
 * a second one counting `errors` by route and protocol error string (a fixed,
 * small set: docs/protocol.md lists them).
 */
export function frameLine(record: FrameRecord, ids: FrameIds, emf?: EmfOptions): Record<string, unknown> {
  const line: Record<string, unknown> = { ...record, ...ids };
  if (!emf) return line;
  line.frames = 1;
  const metrics = FRAME_METRICS.map(({ name, unit }) => ({ Name: name, Unit: unit }));
  const directives: unknown[] = [{ Namespace: emf.namespace, Dimensions: [['route']], Metrics: metrics }];
  if (record.error !== undefined) {
    line.errors = 1;
    directives.push({ Namespace: emf.namespace, Dimensions: [['route', 'error']], Metrics: [{ Name: 'errors', Unit: 'Count' }] });
  }
  return { ...line, _aws: { Timestamp: emf.now ?? Date.now(), CloudWatchMetrics: directives } };
}

/** EMF where CloudWatch Logs reads it (on Lambda; the line is then written bare, see log.bare); plain lines locally, where nobody does. */
export const emfOptions = (env: NodeJS.ProcessEnv = process.env): EmfOptions | undefined =>
  env.AWS_LAMBDA_FUNCTION_NAME ? { namespace: env.METRICS_NAMESPACE || 'Messenger' } : undefined;
