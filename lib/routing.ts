/**
 * Which functions a deployment has, for each routing (context `routing`,
 * locally ROUTING): one definition for the CDK stack and the local stack.
 *
 * - `routes` (default): one API Gateway route and one function per frame,
 *   the frame name as route key.
 * - `dispatcher`: only `$connect`, `$disconnect` and `$default`; `$default`
 *   runs the whole route table (lambdas/routes/dispatcher.ts) with the union
 *   of the frames' grants. It does not depend on API Gateway accepting route
 *   keys with spaces (`auth by credentials`), which is undocumented.
 * No CDK import: the local stack loads this.
 */
import { moduleOf, routeKeyOf, routes as routeTable, type RouteDefinition } from '../lambdas/routes/table';
import { unionRoute } from './grants';

export const ROUTINGS = ['routes', 'dispatcher'] as const;
export type Routing = (typeof ROUTINGS)[number];

export function parseRouting(value: string | undefined, source: string): Routing {
  if (value === undefined || value === '') return 'routes';
  if (!(ROUTINGS as readonly string[]).includes(value)) throw new Error(`${source} must be one of ${ROUTINGS.join(', ')}, got ${value}`);
  return value as Routing;
}

export interface PlannedFunction {
  /** The API Gateway route that invokes it. */
  routeKey: string;
  /** Its handler module: lambdas/routes/<module>.ts. */
  module: string;
  /** Grants, memory, secret and summary of the function (a union for the dispatcher). */
  route: RouteDefinition;
}

const isConnectionRoute = (route: RouteDefinition) => route.event === '$connect' || route.event === '$disconnect';

export function plannedFunctions(routing: Routing, routes: readonly RouteDefinition[] = routeTable): PlannedFunction[] {
  const own = (route: RouteDefinition): PlannedFunction => ({ routeKey: routeKeyOf(route.event), module: moduleOf(route.event), route });
  if (routing === 'routes') return routes.map(own);
  const dispatched = routes.filter((route) => !isConnectionRoute(route));
  return [
    ...routes.filter(isConnectionRoute).map(own),
    {
      routeKey: '$default',
      module: 'dispatcher',
      route: unionRoute('$default', dispatched, 'Every frame: runs the route table (routing=dispatcher).'),
    },
  ];
}

/**
 * Construct id of a route, derived from its event name so logical ids read
 * like the event: `auth by credentials` → `AuthByCredentials`, `who am i` →
 * `WhoAmI`, `$connect` → `OnConnect`. The `On` keeps API Gateway's own routes
 * apart from frames and keeps `$default` from becoming `Default`, which CDK
 * treats as a construct's default child and drops from logical ids. The stack
 * refuses two events with one id.
 */
export const constructIdOf = (event: string): string => {
  const words = event
    .replace(/^\$/, 'on ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) throw new Error(`event ${JSON.stringify(event)} has no letters or digits to name its constructs`);
  return words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
};
