/** Starts the real local stack (embedded DynamoDB + gateway + handlers) for a test file. */
import { createAccount, type NewAccount } from '../../lambdas/domain/provisioning';
import { rateLimitedFrames } from '../../lambdas/routes/table';
import { getDeps } from '../../lambdas/deps';
import { checkInvariants } from '../../local/invariants';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { TestClient } from './client';

/** Cheap password hashing for tests; one test keeps the production cost. */
export const TEST_ENV = { SCRYPT_LOG_N: '10', LOG_LEVEL: "warn" };

/** For tests and benches that send many frames from one user in seconds: every per-user limit far away (production limits: rate-limits.test.ts). */
export const BULK_RATE_LIMITS = {
  RATE_LIMITS: JSON.stringify(Object.fromEntries(rateLimitedFrames.map((frame) => [frame, { burst: 100_000, intervalMs: 1 }]))),
};

/**
 * A stack under the fault mode (FAULTS, in the environment or the options)
 * checks the store's invariants (local/invariants.ts) as it closes, with the
 * faults off and the streams drained, and fails the file if one is broken.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, scheduledIntervalMs: 0, ...options, env: { ...TEST_ENV, ...options.env } });
  if (!(options.env?.FAULTS ?? process.env.FAULTS)) return stack;
  const close = stack.close.bind(stack);
  stack.close = async () => {
    stack.gateway.faults!.active = false;
    // Closed sockets' `$disconnect`s may still be running.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stack.gateway.settled();
    await stack.dynamo.streams.idle();
    const violations = await checkInvariants(getDeps());
    await close();
    if (violations.length > 0) throw new Error(`invariants broken after the faulted run:\n${violations.join('\n')}`);
  };
  return stack;
}

export async function createTestUser(account: NewAccount) {
  const deps = getDeps();
  return createAccount(deps, deps.config.scryptLogN, account);
}

/** A connected client logged in with credentials; returns the client and the auth result. */
export async function loggedIn(stack: LocalStack, username: string, password: string) {
  const client = await TestClient.connect(stack.url);
  const auth = await client.call<{ userId: number; token: string }>('auth by credentials', { username, password });
  return { client, ...auth };
}
