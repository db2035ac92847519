// A loaded module's record (state, references, users, cleanups, tracked work) and the watchdog its init and exit run under.
import { kerr } from '../base/errors.js';
import type { ModuleContext, ModuleDescriptor, ModuleHandle, ModuleState } from './types.js';

/** How long a module's init, exit or one cleanup may take, in host milliseconds, by default. */
export const DEFAULT_MODULE_TIMEOUT_MS = 10_000;

export class Handle implements ModuleHandle {
  state: ModuleState = 'loading';
  /** In the loader's table under its name (from the start of its load until it is forgotten): try_module_get reads this, not the table. */
  listed = false;
  /**
   * The module's count, an atomic_t biased by one (MODULE_REF_BASE), not a refcount_t: 1 while loaded with no
   * references, and 0 after a put too many, where no get succeeds again and rmmod hits a BUG.
   */
  refcnt = 1;
  /** Init timed out or failed: late effects of the module are undone at once. */
  failed = false;
  readonly userSet = new Set<string>();
  readonly cleanups: (() => void | Promise<void>)[] = [];
  readonly busyChecks: (() => string | undefined)[] = [];
  /** Work the module started without awaiting, each settled to its error (or undefined). */
  readonly tracked: Promise<unknown>[] = [];
  ctx!: ModuleContext;
  /** Settles when init has finished (resolved) or failed (rejected). */
  readonly ready: Promise<void>;
  settle!: (error?: unknown) => void;
  /** Resolves when the module has been forgotten (unloaded or failed). */
  readonly gone: Promise<void>;
  markGone!: () => void;
  constructor(
    readonly name: string,
    readonly version: string,
    readonly packageName: string | undefined,
    readonly descriptor: ModuleDescriptor,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      // Through a local: V8 puts a function literal assigned straight to a property in the old generation, where it would keep this handle alive until a full GC.
      const settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
      this.settle = settle;
    });
    this.ready.catch(() => undefined);
    this.gone = new Promise<void>((resolve) => (this.markGone = resolve));
  }
  get users(): string[] {
    return [...this.userSet];
  }
  get refs(): number {
    return this.refcnt - 1;
  }
}

/**
 * Run `fn` (sync throws included) and wait for it at most `ms` host
 * milliseconds; past that, reject with ETIMEDOUT saying what hung. The timer
 * is referenced while it runs, so a hung plugin ends in an error, not in an
 * event loop that quietly empties.
 */
export async function underWatchdog<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(kerr('ETIMEDOUT', `${what} did not finish within ${ms} ms; the module is marked failed and cleaned up`)), ms);
  });
  try {
    return await Promise.race([new Promise<T>((resolve) => resolve(fn())), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first failure among tracked work, or undefined once all of it has succeeded. */
export async function trackedFailure(h: Handle): Promise<unknown> {
  for (let i = 0; i < h.tracked.length; i++) {
    const err = await h.tracked[i];
    if (err !== undefined) return err;
  }
  return undefined;
}
