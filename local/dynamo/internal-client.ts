/**
 * Raw DynamoDB JSON calls to the in-process dynalite's internal port. Items go
 * back and forth exactly as on the wire (no marshalling), so numbers, binaries
 * and sets are restored byte for byte.
 */
import http from 'node:http';
import { WireError, internalError, type Payload } from './wire';

// dynalite checks that these are present, not that they are valid.
const AUTH_HEADERS = {
  Authorization:
    'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'X-Amz-Date': '20000101T000000Z',
};

export class DynaliteClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  constructor(private readonly port: number) {}

  /** Calls `op`; resolves with the body on HTTP 200, rejects with a WireError otherwise. */
  call(op: string, payload: Payload): Promise<Payload> {
    const body = JSON.stringify(payload);
    return new Promise<Payload>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            ...AUTH_HEADERS,
            'Content-Type': 'application/x-amz-json-1.0',
            'X-Amz-Target': `DynamoDB_20120810.${op}`,
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Payload;
            try {
              parsed = text ? (JSON.parse(text) as Payload) : {};
            } catch {
              reject(internalError(`dynalite answered ${op} with non-JSON: ${text.slice(0, 200)}`));
              return;
            }
            if (res.statusCode === 200) resolve(parsed);
            else reject(new WireError(res.statusCode ?? 500, parsed));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}

export interface KeySchema {
  hash: string;
  range?: string;
}

/** Key schemas from DescribeTable, cached per table name. */
export class SchemaCache {
  private readonly cache = new Map<string, KeySchema>();

  constructor(private readonly client: DynaliteClient) {}

  async get(tableName: unknown): Promise<KeySchema> {
    const name = String(tableName);
    const hit = this.cache.get(name);
    if (hit) return hit;
    const { Table } = await this.client.call('DescribeTable', { TableName: tableName });
    const keys = (Table?.KeySchema ?? []) as { AttributeName: string; KeyType: string }[];
    const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (!hash) throw internalError(`DescribeTable ${name}: no HASH key`);
    const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const schema: KeySchema = range ? { hash, range } : { hash };
    this.cache.set(name, schema);
    return schema;
  }

  clear(): void {
    this.cache.clear();
  }
}

/** The key attributes of `item`, or undefined if one is missing. */
export function keyOf(schema: KeySchema, item: Payload | undefined): Payload | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const hash = item[schema.hash];
  if (hash === undefined) return undefined;
  if (!schema.range) return { [schema.hash]: hash };
  const range = item[schema.range];
  if (range === undefined) return undefined;
  return { [schema.hash]: hash, [schema.range]: range };
}
