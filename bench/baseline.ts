/**
 * `npm run bench:baseline`: the local stack against a socket.io-like server
 * doing the same DynamoDB requests, side by side in one run (issue 16).
 *
 * The baseline is a plain `ws` server in this process: a frame is parsed,
 * the session is read (one consistent GetItem of the connection item, as the
 * middleware reads it), `who am i` then runs the same domain function
 * (one BatchGetItem of three items), and the ack goes back on the socket —
 * no gateway, no Lambda event, no middleware chain. Both use the same
 * DynamoDB client on the same embedded store. One client each, one frame at
 * a time, blocks of the two alternated so that load on the machine hits both
 * alike.
 *
 *   npm run bench:baseline -- [--frames 300] [--blocks 4]
 */
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { WebSocketServer } from 'ws';
import { getDeps } from '../lambdas/deps';
import { whoAmI } from '../lambdas/domain/profile';
import { createAccount } from '../lambdas/domain/provisioning';
import { formatDate } from '../lambdas/protocol/frames';
import { getConnection, isBound } from '../lambdas/storage/connections';
import { startLocalStack } from '../local/stack';
import { TestClient } from '../test/support/client';
import { benchArgs, percentile } from './support/args';

const values = benchArgs({ frames: 300, blocks: 4 });
const { frames: FRAMES, blocks: BLOCKS } = values;

const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, env: { SCRYPT_LOG_N: '10' } });
const deps = getDeps();
await createAccount(deps, 10, { username: 'baseline', password: 'baseline-secret', firstName: 'Base', lastName: 'Line' });
const viaStack = await TestClient.connect(stack.url);
await viaStack.call('auth by credentials', { username: 'baseline', password: 'baseline-secret' });
// The baseline reads the session of that same logged-in connection.
const { Items = [] } = await deps.db.send(new ScanCommand({ TableName: deps.config.connectionsTable }));
const connectionId = String(Items.find((c) => c.userId !== undefined)?.connectionId);

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (socket) => {
  socket.on('message', async (raw) => {
    const { event, ackId } = JSON.parse(raw.toString()) as { event: string; ackId: number };
    const session = await getConnection(deps, connectionId);
    if (!isBound(session)) throw new Error('baseline: no session');
    const result = event === 'ping' ? { time: formatDate(deps.now()) } : await whoAmI(deps, session);
    socket.send(JSON.stringify({ ackId, error: null, result }));
  });
});
const viaBaseline = await TestClient.connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);

const latencies = new Map<string, number[]>();
for (const frame of ['ping', 'who am i']) {
  for (const [name, client] of [['stack', viaStack], ['baseline', viaBaseline]] as const) {
    for (let i = 0; i < 30; i++) await client.call(frame); // warm-up
    latencies.set(`${frame}|${name}`, []);
  }
}
for (let block = 0; block < BLOCKS; block++) {
  for (const frame of ['ping', 'who am i']) {
    for (const [name, client] of [['stack', viaStack], ['baseline', viaBaseline]] as const) {
      const out = latencies.get(`${frame}|${name}`)!;
      for (let i = 0; i < FRAMES; i++) {
        const t = performance.now();
        await client.call(frame);
        out.push(performance.now() - t);
      }
      client.acks.length = 0;
    }
  }
}
await viaStack.close();
await viaBaseline.close();
await new Promise((resolve) => wss.close(resolve));
await stack.close();

console.log(`\nLocal stack vs a plain ws server doing the same DynamoDB requests, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}: ${BLOCKS} alternated blocks of ${FRAMES} frames each\n`);
console.log('| frame | stack p50 ms | baseline p50 ms | ratio p50 | stack p95 ms | baseline p95 ms |\n|---|---|---|---|---|---|');
for (const frame of ['ping', 'who am i']) {
  const stackMs = latencies.get(`${frame}|stack`)!.sort((a, b) => a - b);
  const baseMs = latencies.get(`${frame}|baseline`)!.sort((a, b) => a - b);
  const s50 = percentile(stackMs, 50);
  const b50 = percentile(baseMs, 50);
  console.log(`| ${frame} | ${s50.toFixed(2)} | ${b50.toFixed(2)} | ${(s50 / b50).toFixed(2)}× | ${percentile(stackMs, 95).toFixed(2)} | ${percentile(baseMs, 95).toFixed(2)} |`);
}
