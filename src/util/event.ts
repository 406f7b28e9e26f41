/**
 * A tiny typed event emitter shaped like vscode's `EventEmitter`, free of the vscode module so the
 * protocol and store layers can use it. A listener that throws does not stop the other listeners.
 */
import type { IDisposable } from './dispose';

export type Event<T> = (listener: (e: T) => void) => IDisposable;

export class Emitter<T> implements IDisposable {
  private listeners: Array<(e: T) => void> | undefined = [];

  /** `onListenerError` receives what a listener threw (default: console.error). */
  constructor(private readonly onListenerError: (error: unknown) => void = defaultListenerError) {}

  /** Subscribe; the returned disposable unsubscribes (idempotent). */
  readonly event: Event<T> = (listener) => {
    if (!this.listeners) return { dispose: () => undefined };
    // Wrap so the same function subscribed twice is removed one subscription at a time.
    const entry = (e: T): void => listener(e);
    this.listeners.push(entry);
    return {
      dispose: () => {
        if (!this.listeners) return;
        const i = this.listeners.indexOf(entry);
        if (i >= 0) this.listeners.splice(i, 1);
      },
    };
  };

  /** Calls every current listener in subscription order; errors go to `onListenerError`. */
  fire(value: T): void {
    if (!this.listeners) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  get hasListeners(): boolean {
    return (this.listeners?.length ?? 0) > 0;
  }

  dispose(): void {
    this.listeners = undefined;
  }
}

/** Listener errors must not break the code that fired the event, nor crash the host. */
function defaultListenerError(error: unknown): void {
  console.error('Mailroom: event listener failed', error);
}
