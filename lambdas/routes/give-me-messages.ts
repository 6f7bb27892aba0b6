import { giveMeMessages } from '../domain/messages';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me messages', (session, _data, deps) => giveMeMessages(deps, session.userId));
