// The async context a sleeping kernel task carries across awaits (its call frames and the locks it holds), in one storage for the whole process.
import { AsyncLocalStorage } from 'node:async_hooks';

interface TaskContext {
  readonly frames: object | undefined;
  readonly held: object | undefined;
}

/**
 * One AsyncLocalStorage for both: Node runs the hook of every enabled
 * storage on each promise it creates and stores one property per storage on
 * it, so the call chain and lockdep's held chain share one store rather than
 * keeping one each. Entries carry their owner, so machines stay apart.
 */
const storage = new AsyncLocalStorage<TaskContext>();

/** The running task's call frames (set by `runWithFrames`), if any. */
export function taskFrames<F extends object>(): F | undefined {
  return storage.getStore()?.frames as F | undefined;
}

/** The running task's held-lock chain (set by `runWithHeld`), if any. */
export function taskHeld<H extends object>(): H | undefined {
  return storage.getStore()?.held as H | undefined;
}

/** Run `fn` with these call frames; the held locks stay as they are. */
export function runWithFrames<T>(frames: object, fn: () => T): T {
  return storage.run({ frames, held: storage.getStore()?.held }, fn);
}

/** Run `fn` with this held-lock chain (undefined: holding nothing); the call frames stay as they are. */
export function runWithHeld<T>(held: object | undefined, fn: () => T): T {
  return storage.run({ frames: storage.getStore()?.frames, held }, fn);
}
