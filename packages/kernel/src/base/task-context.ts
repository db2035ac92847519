// The async context a sleeping kernel task carries across awaits (its call frames and the locks it holds), in one slot for the whole process.
import { promiseHooks } from 'node:v8';

interface TaskContext {
  readonly frames: object | undefined;
  readonly held: object | undefined;
}

/**
 * The context follows promises the way AsyncLocalStorage does (a promise
 * made while a context is current runs its reactions, and the async
 * function awaiting it resumes, in that context), but through V8's promise
 * hooks alone. AsyncLocalStorage goes through Node's async_hooks, which give
 * every promise in the process an async id, a trigger id and a resource
 * stack entry on top of the store: about 55 KB of garbage and a tenth of a
 * fuzz run's main-thread time. Here a promise made with no context gets
 * nothing, and one made in a context gets one property.
 *
 * Only promises carry it: a callback queued with setImmediate, setTimeout,
 * queueMicrotask or process.nextTick starts with no context, as a kernel
 * timer or work item starts as a fresh task. Kernel code that sleeps
 * awaits promises, so its chain follows. Entries carry their owner, so
 * machines stay apart.
 */
let current: TaskContext | undefined;

/** The context each promise was made in; a symbol property, so it never shows in the promise's own keys. */
const CONTEXT = Symbol('kernel task context');

/** Contexts to go back to when a promise reaction ends (reactions do not nest, but a hook must never lose one). */
const saved: (TaskContext | undefined)[] = [];

type WithContext = Promise<unknown> & { [CONTEXT]?: TaskContext };

function onInit(promise: Promise<unknown>): void {
  const c = current;
  if (c !== undefined) (promise as WithContext)[CONTEXT] = c;
}

function onBefore(promise: Promise<unknown>): void {
  saved.push(current);
  current = (promise as WithContext)[CONTEXT];
}

function onAfter(): void {
  current = saved.pop();
}

let hooked = false;

/** Hooks are installed when a context is first set: until then no promise can carry one, and the process pays nothing. */
function hook(): void {
  hooked = true;
  promiseHooks.createHook({ init: onInit, before: onBefore, after: onAfter });
}

function runWith<T>(context: TaskContext, fn: () => T): T {
  if (!hooked) hook();
  const outer = current;
  current = context;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** The running task's call frames (set by `runWithFrames`), if any. */
export function taskFrames<F extends object>(): F | undefined {
  return current?.frames as F | undefined;
}

/** The running task's held-lock chain (set by `runWithHeld`), if any. */
export function taskHeld<H extends object>(): H | undefined {
  return current?.held as H | undefined;
}

/** Run `fn` with these call frames; the held locks stay as they are. */
export function runWithFrames<T>(frames: object, fn: () => T): T {
  return runWith({ frames, held: current?.held }, fn);
}

/** Run `fn` with this held-lock chain (undefined: holding nothing); the call frames stay as they are. */
export function runWithHeld<T>(held: object | undefined, fn: () => T): T {
  return runWith({ frames: current?.frames, held }, fn);
}
