import { getMessagesBefore } from '../domain/messages';
import { userRoute } from '../middleware/chain';
import type { GetMessagesBeforeRequest } from '../protocol/schemas';

export const handler = userRoute<GetMessagesBeforeRequest>('get messages before', (session, request, deps) => getMessagesBefore(deps, session, request));
