/**
 * The local stack's fault mode: AWS's failure modes, seeded, each at its own
 * rate, injected where AWS would fail — the gateway and its Management API,
 * the embedded DynamoDB's front, the function runtimes — so handlers and SDK
 * clients meet them as they would on AWS (the SDK's own retries included).
 *
 *   FAULTS=post410:0.05,post429:0.1,lostDisconnect:0.2,dynamoThrottle:0.02 FAULTS_SEED=7 npm start
 *
 * At the gateway:
 * - `post410`: a PostToConnection to a live connection answers 410 Gone
 *   (API Gateway does for a connection it is still setting up or tearing down).
 * - `post429`: a PostToConnection is throttled (429 TooManyRequestsException).
 * - `lostDisconnect`: a closed connection's `$disconnect` never runs (API
 *   Gateway delivers it on a best-effort basis).
 * - `pushDelay`: a PostToConnection is accepted (200) at once but reaches the
 *   socket up to MAX_PUSH_DELAY_MS later, so it may arrive after acks and
 *   pushes sent after it.
 * - `killInstance`: a function instance dies mid-invocation (in-process: at
 *   one of its SDK calls, local/instance-kills.ts; bundles: its worker is
 *   terminated, local/bundles.ts); the gateway answers as API Gateway does
 *   when the integration fails.
 *
 * At the embedded DynamoDB's front (so the SDK's retries meet them as on AWS),
 * on the data operations only, before anything is written:
 * - `dynamoThrottle`: 400 `ProvisionedThroughputExceededException` or
 *   `ThrottlingException` (half each).
 * - `dynamo500`: 500 `InternalServerError`.
 * - `txConflict`: a TransactWriteItems / TransactGetItems is cancelled,
 *   `TransactionCanceledException` with `TransactionConflict` for one of its
 *   items and `None` for the others, as another transaction on an item does.
 * - `unprocessed`: a BatchGetItem / BatchWriteItem of more than one item does
 *   only the first half and returns the rest unprocessed, as DynamoDB does
 *   when throttled.
 */
import { DYNAMO_PREFIX, WireError, type Payload } from './dynamo/wire';
import { goneError, managementError, type ManagementRefusal } from './management-errors';
import { seededRandom } from './seeded-random';

export const FAULT_KINDS = ['post410', 'post429', 'lostDisconnect', 'pushDelay', 'dynamoThrottle', 'dynamo500', 'txConflict', 'unprocessed', 'killInstance'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The longest a `pushDelay` holds a push back. */
export const MAX_PUSH_DELAY_MS = 300;

export interface Faults {
  /** Off: nothing strikes (a test sets up its data first). @default true */
  active: boolean;
  /** Whether this occurrence of `kind` fails (false for every kind not configured). */
  strikes(kind: FaultKind): boolean;
  /** The next number in [0, 1) of a seeded stream of its own, to shape a fault that struck. */
  draw(): number;
  /** How many times each kind struck. */
  readonly struck: Readonly<Record<FaultKind, number>>;
  /** Sets a kind's rate from now on (a test makes one fault strike where it wants it). */
  setRate(kind: FaultKind, rate: number): void;
}

/** `kind:rate,…` (rates in [0, 1]); undefined or empty: no faults. */
export function parseFaults(spec: string | undefined, seed = 1): Faults {
  const rates = new Map<FaultKind, number>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [kind, rate] = part.split(':');
    if (!(FAULT_KINDS as readonly string[]).includes(kind!)) throw new Error(`FAULTS: unknown kind ${kind} (known: ${FAULT_KINDS.join(', ')})`);
    const value = Number(rate);
    if (!(value >= 0 && value <= 1)) throw new Error(`FAULTS: rate of ${kind} must be in [0, 1], got ${rate}`);
    rates.set(kind as FaultKind, value);
  }
  // One stream per kind: the n-th occurrence of a kind meets the same draw whatever the other kinds drew meanwhile.
  const streams = new Map(FAULT_KINDS.map((kind, i) => [kind, seededRandom(seed * FAULT_KINDS.length + i)]));
  const shapes = seededRandom(seed * FAULT_KINDS.length + FAULT_KINDS.length);
  const struck = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  return {
    active: true,
    struck,
    strikes(kind) {
      const rate = rates.get(kind);
      if (!this.active || !rate || streams.get(kind)!() >= rate) return false;
      struck[kind]++;
      return true;
    },
    draw: shapes,
    setRate(kind, rate) {
      rates.set(kind, rate);
    },
  };
}

/** The Management API's answer to a POST that a fault refuses, or undefined to deliver it. */
export function managementFault(faults: Faults, connectionId: string): ManagementRefusal | undefined {
  if (faults.strikes('post429')) return managementError(429, 'TooManyRequestsException', 'Too Many Requests');
  if (faults.strikes('post410')) return goneError(connectionId);
  return undefined;
}

/** How long a delivered push is held back (0: not at all). */
export const pushDelayMs = (faults: Faults): number => (faults.strikes('pushDelay') ? Math.ceil(faults.draw() * MAX_PUSH_DELAY_MS) : 0);

/** The bundle runtime's kills: for an invocation the fault strikes, when into it its worker is terminated (ms). */
export const KILL_WITHIN_MS = 40;
export const killPoint = (faults: Faults) => (): number | undefined => (faults.strikes('killInstance') ? faults.draw() * KILL_WITHIN_MS : undefined);

const DATA_OPS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems']);
const TRANSACT_OPS = new Set(['TransactWriteItems', 'TransactGetItems']);
/** What a batch operation lists per table, and what it answers undone under. */
const BATCHES: Record<string, { list: 'Keys' | undefined; unprocessed: string }> = {
  BatchGetItem: { list: 'Keys', unprocessed: 'UnprocessedKeys' },
  BatchWriteItem: { list: undefined, unprocessed: 'UnprocessedItems' },
};

/** A DynamoDB request as a fault leaves it: refused, or run (perhaps in part) with `complete` adding to its answer. */
export type DynamoFault = { refusal: WireError } | { input: Payload; complete?: (output: Payload) => Payload };

export function dynamoFault(faults: Faults, op: string, input: Payload): DynamoFault {
  if (!DATA_OPS.has(op)) return { input };
  if (faults.strikes('dynamoThrottle')) {
    return {
      refusal:
        faults.draw() < 0.5
          ? new WireError(400, {
              __type: `${DYNAMO_PREFIX}ProvisionedThroughputExceededException`,
              message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
            })
          : new WireError(400, { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
    };
  }
  if (faults.strikes('dynamo500')) return { refusal: new WireError(500, { __type: `${DYNAMO_PREFIX}InternalServerError`, message: 'Internal server error' }) };
  if (TRANSACT_OPS.has(op) && Array.isArray(input.TransactItems) && input.TransactItems.length > 0 && faults.strikes('txConflict')) {
    const conflicting = Math.floor(faults.draw() * input.TransactItems.length);
    const reasons = input.TransactItems.map((_: unknown, i: number) =>
      i === conflicting ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' },
    );
    return {
      refusal: new WireError(400, {
        __type: `${DYNAMO_PREFIX}TransactionCanceledException`,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r: { Code: string }) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      }),
    };
  }
  const batch = BATCHES[op];
  if (batch) return partOfBatch(faults, input, batch);
  return { input };
}

/** The first half of a batch of more than one item runs; the rest is answered unprocessed. */
function partOfBatch(faults: Faults, input: Payload, batch: (typeof BATCHES)[string]): DynamoFault {
  const requests = (input.RequestItems ?? {}) as Payload;
  const entriesOf = (table: string): unknown[] => (batch.list ? requests[table]?.[batch.list] : requests[table]) ?? [];
  const count = Object.keys(requests).reduce((n, table) => n + entriesOf(table).length, 0);
  if (count < 2 || !faults.strikes('unprocessed')) return { input };
  let kept = Math.ceil(count / 2);
  const run: Payload = {};
  const left: Payload = {};
  for (const table of Object.keys(requests)) {
    const entries = entriesOf(table);
    const now = entries.slice(0, kept);
    const later = entries.slice(now.length);
    kept -= now.length;
    const wrap = (list: unknown[]) => (batch.list ? { ...requests[table], [batch.list]: list } : list);
    if (now.length > 0) run[table] = wrap(now);
    if (later.length > 0) left[table] = wrap(later);
  }
  return {
    input: { ...input, RequestItems: run },
    complete: (output) => ({ ...output, [batch.unprocessed]: { ...(output[batch.unprocessed] ?? {}), ...left } }),
  };
}
