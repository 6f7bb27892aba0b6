import { connectionRoute } from '../middleware/chain';
import { openConnection } from '../storage/connections';

/** Browsers always send Origin: an allow-list, when set, stops cross-site WebSocket hijacking. Native apps send none. */
export const handler = connectionRoute('$connect', async ({ connectionId, headers }, deps) => {
  const origin = headers.origin;
  if (origin && deps.config.allowedOrigins.length > 0 && !deps.config.allowedOrigins.includes(origin)) return false;
  await openConnection(deps, connectionId, deps.now().getTime());
  return true;
});
