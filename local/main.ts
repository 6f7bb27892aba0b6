/** `npm start`: the whole backend on this machine. PORT, DATA_DIR, HOST, LOCAL_RUNTIME, ROUTING, LATENCY_MODEL and the handlers' variables configure it. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { getDeps } from '../lambdas/deps';
import { seedDemoData } from './seed';
import { removeStackMarker, writeStackMarker } from './stack-marker';
import { startLocalStack, type LocalStack } from './stack';

const port = Number(process.env.PORT ?? 8080);
const dataDir = process.env.DATA_DIR || undefined;

/** A port taken (another `npm start`, or anything else): one line that says what to do, not a stack trace. */
function portBusyMessage(error: NodeJS.ErrnoException & { port?: number }): string {
  const files = process.env.FILES_PORT ? `${process.env.FILES_PORT} (FILES_PORT)` : `${port + 2}`;
  const taken = error.port ? `port ${error.port} is in use` : 'a port is in use';
  return `npm start: ${taken}; the local stack needs ${port} (PORT: WebSocket and Management API), ${port + 1} (DynamoDB) and ${files} (file server) free: stop what holds it, or choose other ports with PORT=${port + 10} npm start`;
}

let stack: LocalStack;
try {
  stack = await startLocalStack({ port, dataDir, host: process.env.HOST });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  console.error(portBusyMessage(error as NodeJS.ErrnoException));
  process.exit(1);
}
if (dataDir) writeStackMarker(dataDir, { pid: process.pid, port: stack.gateway.port, dynamoEndpoint: stack.dynamoEndpoint, managementEndpoint: stack.managementEndpoint });
const demo = await seedDemoData(getDeps());

console.log(
  [
    '',
    `  Messenger backend (local) ready`,
    `  WebSocket        ${stack.url}`,
    `  Functions        ${stack.runtime === 'bundles' ? 'cdk.out bundles, one isolate each (LOCAL_RUNTIME=bundles)' : 'in-process (LOCAL_RUNTIME=bundles runs the cdk.out bundles)'}; routing ${stack.routing} (${stack.routeKeys.length} routes)`,
    `  Management API   ${stack.managementEndpoint}/@connections/{id}`,
    `  DynamoDB         ${stack.dynamoEndpoint} (${dataDir ? `on disk: ${dataDir}` : 'in memory'})`,
    `  File server      ${stack.filesUrl}`,
    ...(stack.latency ? [`  Latency model    AWS (LATENCY_MODEL=aws): each frame, DynamoDB request, Management API call and cold start waits its modeled delay`] : []),
    demo.present.length
      ? `  Demo users       ${demo.present.map((u) => `${u.username} / ${u.password}`).join(', ')}${demo.created ? ' (created now)' : ''}`
      : '  Demo users       none (the store was not empty)',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('stopping…');
    if (dataDir) removeStackMarker(dataDir);
    void stack.close().then(() => process.exit(0));
  });
}
