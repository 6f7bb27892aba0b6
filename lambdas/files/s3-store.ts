/**
 * FileStore over S3 (AWS): one object per id (key = the lower-case UUID),
 * write-once through S3's conditional write (`If-None-Match: *`).
 *
 * `@aws-sdk/client-s3` is not a dependency yet. It is loaded at run time by
 * name, so this compiles without it and runs on Lambda, whose Node.js runtime
 * ships the AWS SDK v3. Adding the dependency (to pin the version and bundle
 * it) needs no change here; the types below are the slice of it we use.
 */
import type { FileStore } from './server';

interface S3Error {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

interface S3ClientLike {
  send(command: unknown): Promise<{ Body?: { transformToByteArray(): Promise<Uint8Array> } }>;
}

interface S3Module {
  S3Client: new (config: { region?: string }) => S3ClientLike;
  GetObjectCommand: new (input: { Bucket: string; Key: string }) => unknown;
  HeadObjectCommand: new (input: { Bucket: string; Key: string }) => unknown;
  PutObjectCommand: new (input: { Bucket: string; Key: string; Body: Uint8Array; IfNoneMatch?: string; ContentType?: string }) => unknown;
  DeleteObjectCommand: new (input: { Bucket: string; Key: string }) => unknown;
}

/** A variable, not a literal: the compiler does not look for the package, esbuild leaves the import to run time. */
const S3_PACKAGE = '@aws-sdk/client-s3';

const status = (error: unknown) => (error as S3Error)?.$metadata?.httpStatusCode;
const isMissing = (error: unknown) => status(error) === 404 || ['NoSuchKey', 'NotFound'].includes((error as S3Error)?.name ?? '');
/** 412: the key exists; 409: a concurrent conditional write to the key won. Either way the id is taken. */
const isTaken = (error: unknown) => status(error) === 412 || status(error) === 409;

export class S3FileStore implements FileStore {
  private constructor(
    private readonly s3: S3Module,
    private readonly client: S3ClientLike,
    private readonly bucket: string,
  ) {}

  static async open(bucket: string, region?: string, s3?: S3Module): Promise<S3FileStore> {
    const module = s3 ?? ((await import(S3_PACKAGE)) as S3Module);
    return new S3FileStore(module, new module.S3Client({ region }), bucket);
  }

  async read(id: string) {
    try {
      const out = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.bucket, Key: id }));
      return await out.Body!.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined; // 404 needs s3:ListBucket; without it S3 answers 403
      throw error;
    }
  }

  async create(id: string, bytes: Uint8Array) {
    try {
      await this.client.send(
        new this.s3.PutObjectCommand({ Bucket: this.bucket, Key: id, Body: bytes, IfNoneMatch: '*', ContentType: 'application/octet-stream' }),
      );
      return true;
    } catch (error) {
      if (isTaken(error)) return false;
      throw error;
    }
  }

  async remove(id: string) {
    // DeleteObject succeeds for a missing key too: ask first, so an unknown id is a 404.
    try {
      await this.client.send(new this.s3.HeadObjectCommand({ Bucket: this.bucket, Key: id }));
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    await this.client.send(new this.s3.DeleteObjectCommand({ Bucket: this.bucket, Key: id }));
    return true;
  }
}
