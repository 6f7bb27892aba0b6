/**
 * The S3 calls of the file server's function (lambdas/files/s3-store.ts),
 * emulated over the local file stores for the bundle runtime: path-style
 * GetObject, HeadObject, PutObject (write-once with `If-None-Match: *`, the
 * `owner` user metadata kept and returned) and
 * DeleteObject, with S3's IAM rules: each action on `arn:aws:s3:::bucket/key`,
 * and a missing key is 404 NoSuchKey only for a caller allowed s3:ListBucket
 * on the bucket (403 AccessDenied otherwise), as S3 answers.
 */
import type { ServerResponse } from 'node:http';
import type { FileStore } from '../lambdas/files/server';
import type { RestService } from './aws-endpoint';
import { readBody } from './http-request';
import { accessDeniedMessage, firstDenied, type Principal } from './iam';

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-error-code': code }).end(res.req.method === 'HEAD' ? undefined : body);
}

export function localS3(buckets: ReadonlyMap<string, FileStore>): RestService {
  return {
    async serve(req, res, principal) {
      const url = new URL(req.url ?? '/', 'http://local');
      const [, bucket = '', ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const store = buckets.get(bucket);
      if (!store || !key) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const action = { GET: 's3:GetObject', HEAD: 's3:GetObject', PUT: 's3:PutObject', DELETE: 's3:DeleteObject' }[req.method ?? ''];
      if (!action) return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const may = (p: Principal | undefined, a: string, resource: string) => !p || !firstDenied(p, [{ action: a, resource }]);
      const resource = `arn:aws:s3:::${bucket}/${key}`;
      if (!may(principal, action, resource)) return xmlError(res, 403, 'AccessDenied', accessDeniedMessage(principal!, { action, resource }));
      const missing = () =>
        may(principal, 's3:ListBucket', `arn:aws:s3:::${bucket}`)
          ? xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.')
          : xmlError(res, 403, 'AccessDenied', 'Access Denied');

      switch (req.method) {
        case 'GET':
        case 'HEAD': {
          const bytes = await store.read(key);
          if (!bytes) return missing();
          // The uploader, as S3 returns user metadata (lambdas/files/s3-store.ts writes it as `owner`).
          const owner = await store.ownerOf(key);
          const metadata = owner === null || owner === undefined ? {} : { 'x-amz-meta-owner': String(owner) };
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, etag: '"local"', ...metadata });
          return void res.end(req.method === 'GET' ? bytes : undefined);
        }
        case 'PUT': {
          const body = await readBody(req);
          // The store is write-once, as the function uses it (always `If-None-Match: *`).
          const owner = Number(req.headers['x-amz-meta-owner']);
          if (!Number.isSafeInteger(owner)) return xmlError(res, 400, 'InvalidArgument', 'the file server writes an owner with every object');
          if (!(await store.create(key, body, owner))) return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
          return void res.writeHead(200, { etag: '"local"' }).end();
        }
        default:
          await store.remove(key);
          return void res.writeHead(204).end();
      }
    },
  };
}
