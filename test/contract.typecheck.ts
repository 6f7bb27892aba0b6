/**
 * The frame contract at compile time: `npm run typecheck` (tsc covers test/)
 * fails if any line marked `@ts-expect-error` compiles — a wrong payload, result
 * or push name would then go unnoticed — or if a correct use stops compiling.
 * Nothing here runs: the functions are only type-checked.
 */
import { expectTypeOf } from 'vitest';
import type { Deps } from '../lambdas/deps';
import { pushEach, pushToUsers } from '../lambdas/domain/presence';
import { publicRoute, userRoute } from '../lambdas/middleware/chain';
import type { ClientEvents, FrameData, FrameResult, ServerPushes } from '../lambdas/protocol/events';
import type { Message } from '../lambdas/protocol/objects';

declare const deps: Deps;
declare const message: Message;

export function handlersAreCheckedAgainstTheTable() {
  // The payload type comes from the route's schema, the result type from the contract.
  userRoute('new message', async (_session, data) => {
    expectTypeOf(data.message.type).toEqualTypeOf<FrameData<'new message'>['message']['type']>();
    expectTypeOf(data.as_read).toEqualTypeOf<boolean>();
    return message;
  });
  userRoute('read messages', async (_session, data) => {
    expectTypeOf(data.ids).toEqualTypeOf<number[]>();
    return null;
  });
  userRoute('ping', async (_session, data) => {
    expectTypeOf(data).toEqualTypeOf<undefined>();
    return { time: 'now' };
  });
  publicRoute('auth by token', async (_caller, data) => ({ userId: data.userId, token: data.token }));

  // @ts-expect-error a field the schema does not have
  userRoute('new message', async (_session, data) => (data.message.nope, message));
  // @ts-expect-error the wrong result type
  userRoute('new message', async () => null);
  // @ts-expect-error no such frame
  userRoute('new mesage', async () => null);
  // @ts-expect-error a frame that needs no session is a publicRoute
  userRoute('auth by token', async () => ({ userId: 1, token: 't' }));
  // @ts-expect-error a frame that needs a session is a userRoute
  publicRoute('ping', async () => ({ time: 'now' }));
}

export async function pushesAreCheckedAgainstTheContract() {
  await pushToUsers(deps, [1], 'online', [1]);
  await pushEach(deps, [1], 'messages', () => [message]);
  await deps.push.toConnection('c', 'log out please', null);

  // @ts-expect-error the wrong payload
  await pushToUsers(deps, [1], 'online', 1);
  // @ts-expect-error the wrong payload per user
  await pushEach(deps, [1], 'messages', () => message);
  // @ts-expect-error no such push
  await deps.push.toConnection('c', 'log out', null);
}

export function theSdkMapsDeriveFromTheContract() {
  // What a client sends is the schema's input: defaults may be left out.
  expectTypeOf<{ message: { dialog_id: number }; bodies: [] }>().toMatchTypeOf<ClientEvents['new message']['data']>();
  expectTypeOf<ClientEvents['new message']['result']>().toEqualTypeOf<FrameResult<'new message'>>();
  expectTypeOf<ClientEvents['give me users']['data']>().toEqualTypeOf<void>();
  expectTypeOf<ServerPushes['messages']>().toEqualTypeOf<Message[]>();
}
