import { giveMeDialogs } from '../domain/dialogs';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me dialogs', (session, _data, deps) => giveMeDialogs(deps, session.userId));
