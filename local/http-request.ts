/** Small pieces the local HTTP stand-ins (gateway, AWS endpoint, S3, HTTP API) all need of a request. */
import type { IncomingMessage } from 'node:http';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Request headers as API Gateway hands them to a function: one string each, repeated ones joined by commas. */
export const flatHeaders = (req: IncomingMessage): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
