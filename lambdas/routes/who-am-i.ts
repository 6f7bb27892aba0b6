import { whoAmI } from '../domain/profile';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('who am i', (session, _data, deps) => whoAmI(deps, session));
