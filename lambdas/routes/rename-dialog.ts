import { renameDialog } from '../domain/dialogs';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('rename dialog', (session, request, deps) => renameDialog(deps, session, request));
