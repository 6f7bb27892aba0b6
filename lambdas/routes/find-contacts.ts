import { findContacts } from '../domain/contacts';
import { userRoute } from '../middleware/chain';
import type { FindContactsRequest } from '../protocol/schemas';

export const handler = userRoute<FindContactsRequest>('find contacts', (session, { search }, deps) => findContacts(deps, session, search));
