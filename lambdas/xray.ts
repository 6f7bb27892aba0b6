/**
 * X-Ray subsegments for the AWS SDK clients (DynamoDB, the Management API)
 * when the stack is deployed with `-c tracing=true`, which sets
 * TRACE_AWS_CLIENTS=true (lib/tracing.ts). The bundler replaces
 * `process.env.TRACE_AWS_CLIENTS` by its value at build time
 * (lib/route-function.ts), so a bundle built without tracing has neither
 * this branch nor aws-xray-sdk-core (~113 KB minified; Powertools' Tracer,
 * which wraps it, ~127 KB: docs/benchmarks.md). Unbundled (the local stack)
 * the flag is read when this module loads.
 */
const xray = process.env.TRACE_AWS_CLIENTS === 'true' ? await import('aws-xray-sdk-core') : undefined;

/** Whether SDK clients get X-Ray subsegments in this process. */
export const tracingClients = xray !== undefined;

/** The client, traced when tracing is on (the same object, with X-Ray's middleware added). */
export function traced<C extends { middlewareStack: unknown }>(client: C): C {
  return xray ? (xray.captureAWSv3Client(client as never) as C) : client;
}
