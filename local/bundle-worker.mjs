/**
 * One Lambda instance of the bundle runtime (local/bundles.ts), in its own
 * worker thread with its own process.env: imports the function's bundle
 * (the init phase), then runs one invocation at a time as Lambda does.
 * Plain JavaScript: the worker runs what Lambda runs, with no TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { entry, handlerName, functionName, memoryMb } = workerData;

/** Lambda reports init failures as Runtime.ImportModuleError / Runtime.HandlerNotFound to every invocation. */
let init;
try {
  const module = await import(pathToFileURL(entry).href);
  const handler = module[handlerName];
  init = typeof handler === 'function' ? { handler } : { error: { name: 'Runtime.HandlerNotFound', message: `${entry} does not export ${handlerName}` } };
} catch (error) {
  init = { error: { name: 'Runtime.ImportModuleError', message: String(error?.stack ?? error) } };
}

parentPort.on('message', async ({ id, event, awsRequestId, deadline }) => {
  if (init.error) return parentPort.postMessage({ id, error: init.error });
  const context = {
    awsRequestId,
    functionName,
    memoryLimitInMB: String(memoryMb),
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    parentPort.postMessage({ id, result: await init.handler(event, context) });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error), stack: error?.stack } });
  }
});
parentPort.postMessage({ ready: true });
