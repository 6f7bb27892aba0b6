/** `npm start`: the whole backend on this machine. PORT, DATA_DIR, HOST, LOCAL_RUNTIME, ROUTING and the handlers' variables configure it. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { getDeps } from '../lambdas/deps';
import { seedDemoData } from './seed';
import { startLocalStack } from './stack';

const port = Number(process.env.PORT ?? 8080);
const dataDir = process.env.DATA_DIR || undefined;

const stack = await startLocalStack({ port, dataDir, host: process.env.HOST });
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
    void stack.close().then(() => process.exit(0));
  });
}
