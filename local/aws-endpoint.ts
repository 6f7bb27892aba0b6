/**
 * The AWS services the bundle runtime's functions call, on one local port
 * (their AWS_ENDPOINT_URL): DynamoDB (forwarded to the embedded DynamoDB),
 * Secrets Manager's GetSecretValue (the token secret), S3 (the files
 * bucket, local/s3.ts) and EventBridge's PutEvents (each entry handed to
 * `events`, e.g. the local webhook). Every request is checked against the policy of the
 * function that signed it (its access key), and refused as AWS refuses it:
 * DynamoDB, Secrets Manager and EventBridge answer 400 AccessDeniedException, S3 403
 * AccessDenied. Unsigned or operator requests (tests, seeding) pass.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { GET_SECRET_VALUE } from '../lib/grants';
import { readBody } from './http-request';
import { accessDeniedMessage, accessKeyOf, dynamoRequests, firstDenied, type Principal } from './iam';
import { LOCAL_ACCOUNT, LOCAL_REGION, localTableArn } from './template';

const PUT_EVENTS = 'events:PutEvents';

/** A service served behind the same endpoint by REST paths (S3). */
export interface RestService {
  serve(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): Promise<void>;
}

export interface LocalAwsOptions {
  /** The embedded DynamoDB. */
  dynamoEndpoint: string;
  /** Access key → the function that holds it. */
  principals: ReadonlyMap<string, Principal>;
  /** Secret ARN → value. */
  secrets: ReadonlyMap<string, string>;
  s3?: RestService;
  /** EventBridge: one put entry (its bus as an ARN); resolves false if it could not be delivered (answered as that entry's failure). */
  events?: (entry: PutEventsEntry) => Promise<boolean>;
  host?: string;
}

export interface PutEventsEntry {
  busArn: string;
  Source: string;
  DetailType: string;
  Detail: string;
}

/** An event bus named by name or ARN, as an ARN. */
const eventBusArn = (nameOrArn: string | undefined): string =>
  nameOrArn?.startsWith('arn:') ? nameOrArn : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${nameOrArn || 'default'}`;

export interface LocalAws {
  endpoint: string;
  close(): Promise<void>;
}

const json11 = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const dynamo = new URL(options.dynamoEndpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const forwardToDynamo = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const upstream = httpRequest(
      { host: dynamo.hostname, port: dynamo.port, method: req.method, path: req.url, headers: { ...req.headers, host: dynamo.host }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const principal = options.principals.get(accessKeyOf(req.headers.authorization) ?? '');
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('DynamoDB_')) {
      const body = await readBody(req);
      if (principal) {
        const denied = firstDenied(principal, dynamoRequests(target.split('.')[1] ?? '', JSON.parse(body.toString('utf8') || '{}'), localTableArn));
        if (denied) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: accessDeniedMessage(principal, denied) }));
          return;
        }
      }
      return forwardToDynamo(req, res, body);
    }
    if (target === 'secretsmanager.GetSecretValue') {
      const { SecretId } = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { SecretId?: string };
      const arn = [...options.secrets.keys()].find((key) => key === SecretId || key.endsWith(`:secret:${SecretId}`)) ?? String(SecretId);
      const request = { action: GET_SECRET_VALUE, resource: arn };
      if (principal && firstDenied(principal, [request])) {
        return json11(res, 400, { __type: 'AccessDeniedException', Message: accessDeniedMessage(principal, request) });
      }
      const value = options.secrets.get(arn);
      if (value === undefined) return json11(res, 400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });
      return json11(res, 200, { ARN: arn, Name: arn.split(':secret:')[1], SecretString: value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: 0 });
    }
    if (target === 'AWSEvents.PutEvents' && options.events) {
      const { Entries = [] } = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { Entries?: { EventBusName?: string; Source: string; DetailType: string; Detail: string }[] };
      const entries = Entries.map((e) => ({ ...e, busArn: eventBusArn(e.EventBusName) }));
      const denied = principal && firstDenied(principal, entries.map((e) => ({ action: PUT_EVENTS, resource: e.busArn })));
      if (denied) return json11(res, 400, { __type: 'AccessDeniedException', Message: accessDeniedMessage(principal, denied) });
      const results = await Promise.all(entries.map((e) => options.events!(e)));
      return json11(res, 200, {
        FailedEntryCount: results.filter((ok) => !ok).length,
        Entries: results.map((ok) => (ok ? { EventId: randomUUID() } : { ErrorCode: 'InternalFailure', ErrorMessage: 'the local target failed' })),
      });
    }
    if (options.s3 && !target) return options.s3.serve(req, res, principal);
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ __type: 'UnknownOperationException', message: `not emulated locally: ${target || req.url}` }));
  };

  const server = createServer((req, res) => void serve(req, res).catch(() => (res.headersSent ? res.destroy() : res.writeHead(500).end())));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
