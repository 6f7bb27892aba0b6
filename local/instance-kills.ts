/**
 * The `killInstance` fault of the in-process runtime (local/faults.ts): a
 * function instance dies at one of its SDK calls — before the request goes
 * out, or after its answer came back (a request an instance sent just before
 * it died may well have been applied) — so nothing of that invocation runs
 * afterwards, and the gateway sees the invocation fail as Lambda reports a
 * crashed instance. The SDK calls are where an invocation touches anything:
 * a kill between two of them is the same as a kill at the next one, and a
 * kill after the last one, as one after its answer. (The bundle runtime kills
 * the instance's worker itself: local/bundles.ts.)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Deps } from '../lambdas/deps';
import { InvocationError } from './bundles';
import type { Faults } from './faults';
import type { RouteHandler } from './gateway';

const invocation = new AsyncLocalStorage<{ ended: boolean; kill(error: Error): void }>();

/** The handler, run so that a kill ends its invocation where it stands. */
export function killable(handler: RouteHandler): RouteHandler {
  return (event, context) =>
    new Promise((resolve, reject) => {
      const current = {
        ended: false,
        kill: (error: Error) => {
          current.ended = true;
          reject(error);
        },
      };
      const end = () => (current.ended = true);
      invocation.run(current, () => handler(event, context).finally(end).then(resolve, reject));
    });
}

const killed = () => new InvocationError('Runtime.ExitError', 'RequestId: Error: Runtime exited with signal: killed', 'in-process');
/** What the killed invocation's code waits on: it never continues. */
const never = new Promise<never>(() => {});

/** Runs one SDK call of an invocation, unless the fault kills the instance there. */
async function atCall<T>(faults: Faults, call: () => Promise<T>): Promise<T> {
  const current = invocation.getStore();
  // An invocation that has ended (answered, or killed at a call beside this one) cannot be killed (again).
  if (!current || current.ended || !faults.strikes('killInstance')) return call();
  if (faults.draw() < 0.5) await call().catch(() => undefined);
  current.kill(killed());
  return never;
}

/** Installs the kills on the in-process deps' SDK calls: DynamoDB through a middleware, the Management API at the pusher. */
export function installInstanceKills(faults: Faults, deps: Deps): void {
  deps.db.middlewareStack.add((next) => (args) => atCall(faults, () => next(args)), { step: 'initialize', name: 'localInstanceKill', priority: 'low' });
  const { push } = deps;
  for (const method of ['send', 'disconnect', 'connectedAt'] as const) {
    const original = push[method].bind(push) as (...args: unknown[]) => Promise<unknown>;
    (push as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => atCall(faults, () => original(...args));
  }
}
