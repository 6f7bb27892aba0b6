/**
 * The scheduled functions of lambdas/scheduled/table.ts on AWS: per entry a
 * function bundled as the routes are, granted only its entry's access, and an
 * EventBridge rule that invokes it every `everyMinutes` (a missed or failed
 * run is simply followed by the next; the function's error alarm is in
 * lib/observability.ts).
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { jobConstructId, jobRoute, type ScheduledJobDefinition } from '../lambdas/scheduled/table';
import { tables as tableDefinitions, type TableDefinition } from '../lambdas/storage/tables';
import { PROJECT_ROOT, RouteFunction } from './route-function';
import { grantAccessEntry } from './table-access';

/** The construct id under the stack (local/bundle-runtime.ts finds the jobs' functions by it). */
export const SCHEDULED_CONSTRUCT_ID = 'Scheduled';

export interface ScheduledJobsProps {
  jobs: readonly ScheduledJobDefinition[];
  tables: ReadonlyMap<TableDefinition['name'], Table>;
  environment: Readonly<Record<string, string>>;
  logRetention: RetentionDays;
  /** Period by module, overriding the entry's `everyMinutes`. */
  everyMinutes?: Readonly<Record<string, number>>;
}

export class ScheduledJobs extends Construct {
  readonly functions: ReadonlyMap<string, RouteFunction>;
  readonly rules: ReadonlyMap<string, Rule>;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    const functions = new Map<string, RouteFunction>();
    const rules = new Map<string, Rule>();
    for (const job of props.jobs) {
      const scope = new Construct(this, jobConstructId(job));
      const fn = new RouteFunction(scope, 'Function', {
        route: jobRoute(job),
        entry: join(PROJECT_ROOT, 'lambdas', 'scheduled', `${job.module}.ts`),
        environment: props.environment,
        logRetention: props.logRetention,
        timeout: Duration.seconds(job.timeoutSeconds),
      });
      grantAccessEntry(fn, `scheduled job ${job.module}`, job.access, props.tables, tableDefinitions);
      const minutes = props.everyMinutes?.[job.module] ?? job.everyMinutes;
      const rule = new Rule(scope, 'Schedule', {
        description: `Runs ${job.module} every ${minutes} min.`,
        schedule: Schedule.rate(Duration.minutes(minutes)),
        // Runs overlapping a slow one are harmless (conditional deletes); a run that failed is not worth retrying: the next comes.
        targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
      });
      functions.set(job.module, fn);
      rules.set(job.module, rule);
    }
    this.functions = functions;
    this.rules = rules;
  }
}
