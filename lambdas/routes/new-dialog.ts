import { newDialog } from '../domain/dialogs';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('new dialog', (session, request, deps) => newDialog(deps, session, request));
