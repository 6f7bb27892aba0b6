import { connectionRoute } from '../middleware/chain';
import { connectionEnded } from '../domain/presence';
import { closeConnection } from '../storage/connections';

export const handler = connectionRoute('$disconnect', async ({ connectionId }, deps) => {
  await connectionEnded(deps, await closeConnection(deps, connectionId));
  return true;
});
