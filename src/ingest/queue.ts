/**
 * A bounded FIFO between a producer that must never block (a socket's message handler) and one
 * async consumer. At the bound `push` refuses and the caller applies its policy; `pushControl`
 * bypasses the bound for the few control items (resync, stop) that must never be lost.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((item: T | undefined) => void) | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** False when full: the item was not queued. */
  push(item: T): boolean {
    if (this.size >= this.capacity) return false;
    this.pushControl(item);
    return true;
  }

  pushControl(item: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(item);
      return;
    }
    this.items.push(item);
  }

  /** The next item; undefined after `timeoutMs` or when `signal` aborts. One consumer at a time. */
  take(signal: AbortSignal, timeoutMs?: number): Promise<T | undefined> {
    if (this.size > 0) {
      const item = this.items[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(item);
    }
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (item: T | undefined) => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(item);
      };
      const onAbort = () => finish(undefined);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(undefined), Math.max(0, timeoutMs));
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
    });
  }
}
