/**
 * A fair (FIFO) readers/writer lock: consecutive shared holders run together,
 * an exclusive holder runs alone, and nobody overtakes a waiting writer.
 */
export type Release = () => void;

interface Waiter {
  exclusive: boolean;
  grant: () => void;
}

export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  acquire(exclusive: boolean): Promise<Release> {
    return new Promise<Release>((resolve) => {
      this.queue.push({ exclusive, grant: () => resolve(this.releaser(exclusive)) });
      this.pump();
    });
  }

  async run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(exclusive);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private pump(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head || this.writer) return;
      if (head.exclusive) {
        if (this.readers > 0) return;
        this.writer = true;
      } else {
        this.readers++;
      }
      this.queue.shift();
      head.grant();
    }
  }

  private releaser(exclusive: boolean): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.writer = false;
      else this.readers--;
      this.pump();
    };
  }
}
