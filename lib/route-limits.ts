/**
 * Limits per route, on top of the stage's default throttle: the login frames
 * (the frames that need no session: each runs scrypt at 1 GB, and they are
 * what a password-guessing client sends) get a tighter API Gateway throttle,
 * and any route may get reserved Lambda concurrency — opt-in, because reserved
 * concurrency is taken from the account's pool whether it is used or not.
 */
import { Stack } from 'aws-cdk-lib';
import { CfnRoute, type CfnStage, type WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { isFrameRoute, routeKeyOf, type RouteDefinition } from '../lambdas/routes/table';

export interface RouteLimits {
  /** Steady rate and burst of each login frame. */
  readonly loginThrottle: { rateLimit: number; burstLimit: number };
  /** Reserved concurrency by route event. */
  readonly reservedConcurrency: Readonly<Record<string, number>>;
}

/** Frames a client sends before it has a session. */
export const isLoginRoute = (route: RouteDefinition) => isFrameRoute(route) && !route.auth;

export function applyRouteLimits(stage: WebSocketStage, functions: ReadonlyMap<string, IFunction>, routes: readonly RouteDefinition[], limits: RouteLimits): void {
  const cfnStage = stage.node.defaultChild as CfnStage;
  // RouteSettings is a free-form JSON property: CloudFormation's own key names.
  cfnStage.routeSettings = Object.fromEntries(
    routes.filter(isLoginRoute).map((route) => [
      routeKeyOf(route.event),
      { ThrottlingRateLimit: limits.loginThrottle.rateLimit, ThrottlingBurstLimit: limits.loginThrottle.burstLimit, DetailedMetricsEnabled: true },
    ]),
  );
  // CloudFormation refuses settings of a route that does not exist yet.
  const loginKeys = new Set(routes.filter(isLoginRoute).map((route) => routeKeyOf(route.event)));
  for (const construct of Stack.of(stage).node.findAll()) {
    if (construct instanceof CfnRoute && loginKeys.has(construct.routeKey)) stage.node.addDependency(construct);
  }
  for (const [event, reserved] of Object.entries(limits.reservedConcurrency)) {
    const fn = functions.get(event);
    if (!fn) throw new Error(`context reservedConcurrency names ${JSON.stringify(event)}, which is no route`);
    (fn.node.defaultChild as CfnFunction).reservedConcurrentExecutions = reserved;
  }
}
