/** Listeners by event name, socket.io style: on / once / off, one payload per event. */

type Listener = (payload: never) => void;

export class Emitter {
  private readonly listeners = new Map<string, { fn: Listener; once: boolean }[]>();

  /** @param report receives what a listener throws; the other listeners still run. */
  constructor(private readonly report: (error: unknown) => void) {}

  on(event: string, fn: Listener, once = false): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ fn, once });
    this.listeners.set(event, list);
  }

  /** Without `fn`, removes every listener of `event`; without `event`, every listener. */
  off(event?: string, fn?: Listener): void {
    if (event === undefined) return this.listeners.clear();
    if (fn === undefined) return void this.listeners.delete(event);
    const list = this.listeners.get(event)?.filter((l) => l.fn !== fn);
    if (list?.length) this.listeners.set(event, list);
    else this.listeners.delete(event);
  }

  private drop(event: string, entry: { fn: Listener; once: boolean }): void {
    const list = this.listeners.get(event)?.filter((l) => l !== entry);
    if (list?.length) this.listeners.set(event, list);
    else this.listeners.delete(event);
  }

  has(event: string): boolean {
    return (this.listeners.get(event)?.length ?? 0) > 0;
  }

  emit(event: string, payload: unknown): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (const listener of [...list]) {
      if (listener.once) this.drop(event, listener);
      try {
        (listener.fn as (payload: unknown) => void)(payload);
      } catch (error) {
        this.report(error);
      }
    }
  }
}
