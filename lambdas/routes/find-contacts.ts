import { findContacts } from '../domain/contacts';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('find contacts', (session, { search }, deps) => findContacts(deps, session, search));
