/**
 * `npm run smoke` against the local stack, as an operator runs it against a
 * deployment right after `cdk deploy`: it must pass, print every step, and
 * leave nothing of what it created. Runs in whichever runtime LOCAL_RUNTIME
 * selects (CI runs it in both).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import type { LocalStack } from '../local/stack';
import { startTestStack, TEST_ENV } from './support/stack';

const run = promisify(execFile);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

/** Every data item (the test's own store: scanning is fine here). */
const dataItems = async () => (await getDeps().db.send(new ScanCommand({ TableName: 'Data' }))).Items ?? [];

describe('npm run smoke', () => {
  it('passes against the local stack, step by step, and cleans up after itself', async () => {
    const before = await dataItems();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'local/smoke.ts', '--url', stack.url], {
      env: { ...process.env, ...TEST_ENV, DYNAMODB_ENDPOINT: stack.dynamoEndpoint },
    });
    console.log(stdout);
    for (const step of ['auth by credentials', 'who am i', 'link', 'new dialog', 'new message', 'messages push received', 'give me presence', 'log me out']) {
      expect(stdout).toMatch(new RegExp(`ok  ${step}.* \\d+ ms`));
    }
    expect(stdout).toMatch(/smoke check passed/);
    const after = await dataItems();
    // Id counters advance, and this empty store got its default domain with its first account; nothing else of the run stays.
    const shared = /^(COUNTER|DOMAIN|DOMAINNAME)#/;
    const left = after.filter((item) => !before.some((b) => b.pk === item.pk && b.sk === item.sk) && !shared.test(String(item.pk)));
    expect(left).toEqual([]);
  }, 60_000);

  it('exits non-zero on the first failure', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'local/smoke.ts', '--url', stack.url.replace(/:\d+$/, ':1')], {
      env: { ...process.env, ...TEST_ENV, DYNAMODB_ENDPOINT: stack.dynamoEndpoint },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/FAILED after/);
  }, 60_000);
});
