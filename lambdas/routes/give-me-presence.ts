import { givePresence } from '../domain/presence';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me presence', (session, _data, deps) => givePresence(deps, session.userId));
