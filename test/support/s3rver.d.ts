/** The part of s3rver (a Koa app emulating S3 on the file system) the S3 store test uses; the package ships no types. */
declare module 's3rver' {
  interface Context {
    method: string;
    path: string;
    get(header: string): string;
    status: number;
    body: unknown;
    type: string;
  }
  type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void> | void;
  export default class S3rver {
    constructor(options: { port?: number; address?: string; silent?: boolean; directory: string; configureBuckets?: { name: string }[] });
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** Koa's middleware list, in order. */
    middleware: Middleware[];
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
  }
}
