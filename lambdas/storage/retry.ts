/**
 * The one way to try again: bounded attempts with full-jitter exponential
 * backoff (each pause uniform in [0, min(cap, base · 2^attempt)]), so writers
 * racing on one item spread out instead of colliding again in lockstep.
 *
 * Used by every optimistic write that lost to a concurrent one (a cancelled
 * transaction, a failed version condition), by BatchGet's unprocessed
 * keys, and by a push refused with 410 for a connection API Gateway still
 * lists (push.ts). Sizing: 24 clients renaming one dialog at once commit one per round,
 * and the pauses grow until the rounds are sparse; CONTENDED's 12 attempts
 * (at most ~4 s of pauses) let all of them through — test/contention.test.ts.
 */
import { ERRORS, ProtocolError } from '../protocol/errors';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

/** Writes on one contended item (a dialog head, a group, a keyring, a link pair). */
const CONTENDED: RetryPolicy = { attempts: 12, baseMs: 10, capMs: 640 };

/** DynamoDB left work undone (throttling): the SDK has retried the request already. */
export const UNPROCESSED: RetryPolicy = { attempts: 8, baseMs: 25, capMs: 1000 };

/**
 * Still losing after every attempt: answered `too many attempts`, the
 * protocol's "not now, try again" — never a generic failure.
 */
export class RetriesExhausted extends ProtocolError {
  constructor(readonly last: unknown) {
    super(ERRORS.tooManyAttempts, `still contended after retrying: ${String(last)}`);
  }
}

/** AWS's throttling errors (DynamoDB, the Management API), as they reach us once the SDK's own retries are spent. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
export const isThrottling = (error: unknown): boolean => THROTTLING.has((error as { name?: string })?.name ?? '');

/** Thrown by an attempt that did part of its work and wants another go (no exception of its own to throw). */
export class TryAgain extends Error {}

const backoffMs = (policy: RetryPolicy, attempt: number, random = Math.random) =>
  random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt);

/** Runs `attempt` until it succeeds, throws something `retryable` rejects, or the policy's attempts are spent. */
export async function retry<T>(attempt: (n: number) => Promise<T>, retryable: (error: unknown) => boolean, policy: RetryPolicy = CONTENDED): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof TryAgain) && !retryable(error)) throw error;
      if (n >= policy.attempts) throw new RetriesExhausted(error);
      await new Promise((resolve) => setTimeout(resolve, backoffMs(policy, n)));
    }
  }
}
