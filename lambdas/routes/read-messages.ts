import { readMessages } from '../domain/messages';
import { userRoute } from '../middleware/chain';
import type { ReadMessagesRequest } from '../protocol/schemas';

/** Ack optional: without `ackId` nothing is sent back. */
export const handler = userRoute<ReadMessagesRequest>('read messages', async (session, request, deps) => {
  await readMessages(deps, session, request);
  return null;
});
