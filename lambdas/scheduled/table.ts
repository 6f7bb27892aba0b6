/**
 * Scheduled functions: one entry per function drives the CDK stack (an
 * EventBridge rule every `everyMinutes`, the function, its grants; see
 * lib/scheduled-jobs.ts) and the local stack (the same handler on an
 * interval, as the entry's principal).
 */
import type { RouteDefinition } from '../routes/table';
import type { TableDefinition } from '../storage/tables';

export interface ScheduledJobDefinition {
  /** Function name stem and handler module `lambdas/scheduled/<module>.ts`. */
  module: string;
  /** Period on AWS (an EventBridge rate); context `<module>Minutes` overrides it. */
  everyMinutes: number;
  /** The function's timeout; the handler stops starting work 10 s before it. */
  timeoutSeconds: number;
  access: Partial<Record<TableDefinition['name'], 'read' | 'write'>>;
  summary: string;
}

export const scheduledJobs: readonly ScheduledJobDefinition[] = [
  {
    module: 'sweep-connections',
    everyMinutes: 1,
    timeoutSeconds: 300,
    // Queries `byExpiry`, deletes conditionally; the REMOVE records do the rest (streams/connection-removed.ts).
    access: { Connections: 'write' },
    summary: 'Deletes connections silent past the idle timeout that DynamoDB TTL has not removed yet (it can lag for days), so `offline` goes out within the sweep interval.',
  },
];

/** The job's construct id under the stack's `Scheduled` construct: `sweep-connections` → `SweepConnections`. */
export const jobConstructId = (job: ScheduledJobDefinition): string => job.module.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/** The job as a route definition, for what routes and jobs share (grants, the local principal). */
export const jobRoute = (job: ScheduledJobDefinition): RouteDefinition => ({
  event: `$schedule ${job.module}`,
  auth: false,
  access: job.access,
  pushes: false,
  summary: job.summary,
});
