import { newDialog } from '../domain/dialogs';
import { userRoute } from '../middleware/chain';
import type { NewDialogRequest } from '../protocol/schemas';

export const handler = userRoute<NewDialogRequest>('new dialog', (session, request, deps) => newDialog(deps, session, request));
