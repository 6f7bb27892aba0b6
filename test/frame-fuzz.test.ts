/**
 * Every frame route under generated hostile payloads (test/support/hostile-payloads.ts),
 * through the real local stack and a real WebSocket client: each frame gets
 * exactly one ack carrying its ackId, answered with a success or a protocol
 * error string — `wrong data provided` for every payload the frame's schema
 * refuses, and `something went wrong` only where the contract names it for a
 * well-formed request (a nonsense link transition, …), never for bad input;
 * an uninvolved user's data stays as it was; the connection stays live.
 *
 * Lean and seeded in CI; a longer run:
 *   FUZZ_RUNS=500 FUZZ_SEED=123 npx vitest run test/frame-fuzz.test.ts
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../lambdas/protocol/errors';
import { schemas } from '../lambdas/protocol/schemas';
import { isFrameRoute, routes, type RouteDefinition } from '../lambdas/routes/table';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { keyName, pause } from './support/contacts';
import { closeAll, names, newDialog, people, send, type Person } from './support/conversations';
import { hostilePayload } from './support/hostile-payloads';
import { CASES, type SchemaName } from './support/schema-cases';
import { loggedIn, startTestStack } from './support/stack';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** Under API Gateway's 128 KB message: a larger one closes the connection (gateway-limits.test.ts), which is not what this looks at. */
const MAX_FRAME = 120_000;

const ANSWERS = new Set<string>(Object.values(ERRORS).filter((e) => e !== ERRORS.somethingWentWrong));
/** Where docs/protocol.md names `something went wrong` as the answer to a well-formed request. */
const GENERIC_BY_CONTRACT = new Set(['who am i', 'handle userlink', 'new key', 'change avatar', 'delete avatar', 'change profile']);

/** What a frame may be answered: null is success. */
function allowedAnswers(route: RouteDefinition, data: unknown): (string | null)[] {
  // The payload as the server sees it: through JSON, and `data: null` taken as no data (middleware/chain.ts).
  const parsed = data === undefined || data === null ? undefined : (JSON.parse(JSON.stringify(data)) as unknown);
  if (route.schema && !route.schema.safeParse(parsed).success) return [ERRORS.wrongData, ...(route.auth ? [ERRORS.notAuthenticated] : [])];
  return [null, ...ANSWERS, ...(GENERIC_BY_CONTRACT.has(route.event) ? [ERRORS.somethingWentWrong] : [])];
}

let stack: LocalStack;
/** The fuzzer and an accepted contact of theirs (whose data the fuzzer may legitimately change). */
let actor: Person;
let partner: Person;
/** Two users the fuzzer has no link with: nothing it sends may change what they see. */
let bystander: Person;
let friend: Person;
let ids: number[];
/** One login of the fuzzer per route, all made before any fuzzing: `log me out` ends only its own, and the wrong `current` passwords of `change password` lock new logins out. */
const sessions = new Map<string, TestClient>();
let bystanderDialog: number;

/** Everything the bystander can read that a stranger must not be able to change. */
async function bystanderView() {
  const c = bystander.client;
  return {
    me: await c.call('who am i'),
    keys: await c.call('give me keys'),
    dialogs: await c.call('give me dialogs'),
    messages: await c.call('give me messages'),
    groups: await c.call('give me groups'),
    history: await c.call('get messages before', { dialog_id: bystanderDialog, last_date: '2094-01-01 00:00:00' }),
  };
}

const schemaName = (schema: unknown) => (Object.keys(schemas) as SchemaName[]).find((name) => schemas[name] === schema);

beforeAll(async () => {
  stack = await startTestStack();
  [actor, partner] = (await people(stack, 2, { prefix: 'fuzzer' })) as [Person, Person];
  [bystander, friend] = (await people(stack, 2, { prefix: 'bystander' })) as [Person, Person];
  await bystander.client.call('new key', { name: keyName(), is_default: true });
  const own = await newDialog(actor, [partner]);
  const theirs = await newDialog(bystander, [friend]);
  bystanderDialog = theirs.id;
  const group = await bystander.client.call<{ id: number }>('new group', { bodies: names('g', [bystander.id, friend.id]), recipients: [bystander.id, friend.id] }).catch(() => undefined);
  const sent = [await send(actor, own, 'mine'), await send(bystander, theirs, 'theirs')];
  for (const route of routes.filter(isFrameRoute)) sessions.set(route.event, (await loggedIn(stack, actor.username, actor.password)).client);
  ids = [actor.id, partner.id, bystander.id, friend.id, own.id, theirs.id, ...sent.map((m) => m.id), ...(group ? [group.id] : [])];
}, 60_000);
afterAll(async () => {
  await closeAll(actor, partner, bystander, friend);
  await Promise.all([...sessions.values()].map((c) => c.close()));
  await stack.close();
});

describe('every frame route under hostile payloads', () => {
  for (const route of routes.filter(isFrameRoute)) {
    it(route.event, async () => {
      const name = schemaName(route.schema);
      const base = name ? CASES[name].accept[0]!.in : undefined;
      const before = await bystanderView();
      const client = sessions.get(route.event)!;
      const acksBefore = client.acks.length;
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(hostilePayload(base, ids), async (data) => {
          fc.pre(JSON.stringify({ event: route.event, data, ackId: 1 }).length < MAX_FRAME);
          sent++;
          const ack = await client.request(route.event, data);
          if (!allowedAnswers(route, data).includes(ack.error)) throw new Error(`${route.event} answered ${JSON.stringify(ack.error)} to ${JSON.stringify(data)?.slice(0, 300)}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // The connection is live: it still answers (ping needs a session; `not authenticated` after `log me out` is an answer too).
      const alive = await client.request('ping');
      expect(alive.error === null || alive.error === ERRORS.notAuthenticated).toBe(true);
      await pause(50);
      expect(client.closed).toBeUndefined();
      // Exactly one ack per frame, each with its own ackId (the ping's included).
      const ackIds = client.acks.slice(acksBefore).map((a) => a.ackId);
      expect(new Set(ackIds).size).toBe(ackIds.length);
      expect(ackIds.length).toBe(sent + 1);
      expect(await bystanderView()).toEqual(before);
      await client.close();
    }, 60_000);
  }
});
