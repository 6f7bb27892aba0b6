/** The operator CLI as an operator runs it: a separate process (node + tsx's loader, what `npm run admin` runs, without npx's start-up cost). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalStack } from '../../local/stack';

const run = promisify(execFile);

export function adminWith(env: Record<string, string>, ...args: string[]) {
  const { DATA_DIR, DYNAMODB_ENDPOINT, PORT, ...rest } = process.env;
  void DATA_DIR, DYNAMODB_ENDPOINT, PORT;
  return run(process.execPath, ['--import', 'tsx', 'local/admin.ts', ...args], { env: { ...rest, SCRYPT_LOG_N: '10', ...env } });
}

/** `npm run admin -- …args` on the running test stack. */
export function adminOn(stack: LocalStack, ...args: string[]) {
  return adminWith({ PORT: String(stack.gateway.port), DYNAMODB_ENDPOINT: stack.dynamoEndpoint }, ...args);
}
