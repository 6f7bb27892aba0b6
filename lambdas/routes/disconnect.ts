import { connectionRoute } from '../middleware/chain';
import { closeConnection } from '../storage/connections';

export const handler = connectionRoute('$disconnect', async ({ connectionId }, deps) => {
  await closeConnection(deps, connectionId);
  return true;
});
