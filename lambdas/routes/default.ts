import { publicRoute } from '../middleware/chain';
import { ERRORS, ProtocolError } from '../protocol/errors';

/** API Gateway sends here every frame whose `event` names no route (the parser has already refused malformed ones). */
export const handler = publicRoute('$default', async () => {
  throw new ProtocolError(ERRORS.unknownEvent);
});
