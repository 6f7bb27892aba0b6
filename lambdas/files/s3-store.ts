/**
 * FileStore over S3 (AWS): one object per id (key = the lower-case UUID),
 * write-once through S3's conditional write (`If-None-Match: *`); the
 * uploader's user id is the object's metadata `owner`, written with it.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FileStore } from './server';

interface S3Error {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

const status = (error: unknown) => (error as S3Error)?.$metadata?.httpStatusCode;
const isMissing = (error: unknown) => status(error) === 404 || ['NoSuchKey', 'NotFound'].includes((error as S3Error)?.name ?? '');
/** 412: the key exists; 409: a concurrent conditional write to the key won. Either way the id is taken. */
const isTaken = (error: unknown) => status(error) === 412 || status(error) === 409;

/** A recorded owner (S3 metadata values are strings), or null. */
export const ownerFrom = (raw: string | undefined): number | null => (raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null);

export class S3FileStore implements FileStore {
  constructor(
    private readonly bucket: string,
    private readonly client = new S3Client({}),
  ) {}

  async read(id: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: id }));
      return await out.Body!.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) return undefined; // 404 needs s3:ListBucket; without it S3 answers 403
      throw error;
    }
  }

  async create(id: string, bytes: Uint8Array, owner: number) {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: id,
          Body: bytes,
          IfNoneMatch: '*',
          ContentType: 'application/octet-stream',
          Metadata: { owner: String(owner) },
        }),
      );
      return true;
    } catch (error) {
      if (isTaken(error)) return false;
      throw error;
    }
  }

  async ownerOf(id: string) {
    try {
      const { Metadata } = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: id }));
      return ownerFrom(Metadata?.owner);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async remove(id: string) {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: id }));
  }
}
