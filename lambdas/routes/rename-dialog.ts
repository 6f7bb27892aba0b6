import { renameDialog } from '../domain/dialogs';
import { userRoute } from '../middleware/chain';
import type { RenameDialogRequest } from '../protocol/schemas';

export const handler = userRoute<RenameDialogRequest>('rename dialog', (session, request, deps) => renameDialog(deps, session, request));
