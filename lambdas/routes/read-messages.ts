import { readMessages } from '../domain/messages';
import { userRoute } from '../middleware/chain';

/** Ack optional: without `ackId` nothing is sent back. */
export const handler = userRoute('read messages', async (session, request, deps) => {
  await readMessages(deps, session, request);
  return null;
});
