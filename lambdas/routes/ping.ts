import { userRoute } from '../middleware/chain';
import { formatDate } from '../protocol/frames';

export const handler = userRoute('ping', async (_session, _data, deps) => ({ time: formatDate(deps.now()) }));
