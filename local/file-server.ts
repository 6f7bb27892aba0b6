/**
 * The local file server (protocol §7): Node's HTTP server around the shared
 * `handleFileRequest`, with files in memory or under `<dataDir>/files/`.
 * On AWS the same rules run in a Lambda over S3 (lib/file-storage.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, link, stat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { log } from '../lambdas/log';
import { loginAuthority } from '../lambdas/files/authority';
import { BodyTooLargeError, handleFileRequest, precheck, type FileAuthority, type FileRequest, type FileServerOptions, type FileStore } from '../lambdas/files/server';

const errno = (error: unknown) => (error as NodeJS.ErrnoException)?.code;
const OWNER_SUFFIX = '.owner';

export class MemoryFileStore implements FileStore {
  private readonly files = new Map<string, { bytes: Uint8Array; owner: number }>();

  async read(id: string) {
    return this.files.get(id)?.bytes;
  }

  async create(id: string, bytes: Uint8Array, owner: number) {
    if (this.files.has(id)) return false;
    this.files.set(id, { bytes, owner });
    return true;
  }

  async ownerOf(id: string) {
    return this.files.get(id)?.owner;
  }

  async remove(id: string) {
    this.files.delete(id);
  }
}

const ignoreMissing = (error: unknown) => {
  if (errno(error) !== 'ENOENT') throw error;
};

async function writeSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * One file per id, and its uploader's user id in `<id>.owner`. The owner file
 * is created first, exclusively (it claims the id); the content is written
 * and synced under a temporary name, then hard-linked to its id: the link
 * fails if the id exists (write-once without a race), and a crash never
 * leaves a half-written file, nor a file without its owner, under an id.
 * Owner files left without content by a crash are removed at start-up.
 */
export class DiskFileStore implements FileStore {
  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<DiskFileStore> {
    await mkdir(dir, { recursive: true });
    // Temporary files and owner files of uploads (or deletes) cut short by a crash.
    const names = new Set(await readdir(dir));
    for (const name of names) {
      const orphan = name.startsWith('.tmp-') || (name.endsWith(OWNER_SUFFIX) && !names.has(name.slice(0, -OWNER_SUFFIX.length)));
      if (orphan) await unlink(join(dir, name)).catch(() => {});
    }
    return new DiskFileStore(dir);
  }

  async read(id: string) {
    try {
      return await readFile(join(this.dir, id));
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  private ownerFile(id: string) {
    return join(this.dir, `${id}${OWNER_SUFFIX}`);
  }

  async create(id: string, bytes: Uint8Array, owner: number) {
    try {
      await writeSynced(this.ownerFile(id), String(owner));
    } catch (error) {
      if (errno(error) === 'EEXIST') return false;
      throw error;
    }
    const temporary = join(this.dir, `.tmp-${randomUUID()}`);
    try {
      await writeSynced(temporary, bytes);
      await link(temporary, join(this.dir, id));
      return true;
    } catch (error) {
      // A file stored before owners were recorded holds the id: it keeps having none.
      await unlink(this.ownerFile(id)).catch(() => {});
      if (errno(error) === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temporary).catch(() => {});
    }
  }

  async ownerOf(id: string) {
    try {
      await stat(join(this.dir, id));
    } catch (error) {
      ignoreMissing(error);
      return undefined;
    }
    try {
      const raw = (await readFile(this.ownerFile(id), 'utf8')).trim();
      return /^\d+$/.test(raw) ? Number(raw) : null;
    } catch (error) {
      ignoreMissing(error);
      return null;
    }
  }

  async remove(id: string) {
    await unlink(join(this.dir, id)).catch(ignoreMissing);
    await unlink(this.ownerFile(id)).catch(ignoreMissing);
  }
}

/**
 * Reads a request body, refusing (BodyTooLargeError) as soon as it passes
 * `limit`. The rest of a refused body is read and dropped, not cut off, so
 * the client gets the 413 instead of a reset connection.
 */
function bodyReader(req: IncomingMessage) {
  return (limit: number): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = () => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) return void chunks.push(chunk);
        stop();
        chunks.length = 0;
        req.resume(); // flowing, no listener: the rest is dropped
        reject(new BodyTooLargeError(limit));
      };
      const onEnd = () => {
        stop();
        resolve(Buffer.concat(chunks, size));
      };
      const onError = (error: Error) => {
        stop();
        reject(error);
      };
      req.on('data', onData).on('end', onEnd).on('error', onError);
    });
}

export interface LocalFileServerOptions extends FileServerOptions {
  /** Who may upload and delete. @default loginAuthority(): the capabilities of live logins, as on AWS */
  authority?: FileAuthority;
  /** 0 = any free port. */
  port: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** Files go to `<dataDir>/files/`; in memory when absent. */
  dataDir?: string;
}

export interface LocalFileServer {
  /** Base URL, ending in `/`: the FILES_URL that `storage urls` derive from. */
  url: string;
  port: number;
  store: FileStore;
  close(): Promise<void>;
}

export async function startFileServer(options: LocalFileServerOptions): Promise<LocalFileServer> {
  const host = options.host ?? '127.0.0.1';
  const store = options.dataDir ? await DiskFileStore.open(join(options.dataDir, 'files')) : new MemoryFileStore();
  const services = { store, authority: options.authority ?? loginAuthority() };

  const requestOf = (req: IncomingMessage): FileRequest => ({
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
  });

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const response = await handleFileRequest(services, options, requestOf(req), bodyReader(req));
    // A body left unread (refused upload) is drained by Node before the connection is reused.
    res.writeHead(response.status, response.headers).end(response.body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) =>
    void serve(req, res).catch((error) => {
      log.error('file server failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  const server = createServer(handle);
  // `Expect: 100-continue`: a refused upload (bad id, too large) is answered before its body is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!('status' in precheck(options, requestOf(req)))) res.writeContinue();
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
