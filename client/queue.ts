/** Emits waiting for a connection and a login: bounded, first in first out. */

export class BoundedQueue<T> {
  private items: T[] = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.items.length;
  }

  /** false when full: the caller rejects the item. */
  push(item: T): boolean {
    if (this.items.length >= this.limit) return false;
    this.items.push(item);
    return true;
  }

  remove(match: (item: T) => boolean): void {
    this.items = this.items.filter((item) => !match(item));
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }
}
