// Named emulated kernel functions, and the @kfunc decorator that runs a method inside its frame on the call stack.
import { kerr } from '../base/errors.js';
import type { CallStack } from './calls.js';

/**
 * A named emulated kernel function, made once per process; each machine's
 * call stack interns the name on first use, so entering it allocates nothing.
 */
export class KernelFunction {
  constructor(
    readonly name: string,
    /** Its index among the process's kernel functions (a call stack's cache slot). */
    readonly slot: number,
  ) {}
}

const functions = new Map<string, KernelFunction>();

/** The kernel function of this name (the same object for the same name). */
export function kernelFunction(name: string): KernelFunction {
  let f = functions.get(name);
  if (!f) {
    if (!/^[A-Za-z_][\w.$<>-]*$/.test(name)) throw kerr('EINVAL', `function name '${name}' is not an identifier`);
    f = new KernelFunction(name, functions.size);
    functions.set(name, f);
  }
  return f;
}

/** An object whose methods run on an emulated kernel: decorated methods push their frames on its call stack. */
export interface RunsOnCallStack {
  readonly calls: CallStack;
}

type Method = (this: RunsOnCallStack, a?: unknown, b?: unknown, c?: unknown) => unknown;

/**
 * Method decorator: the method runs as the kernel function `name`, a frame on
 * `this.calls` while it runs (what traces name as the caller, and reports
 * print in their backtrace). The method body holds no tracing code; the
 * frame costs two integer stores and allocates nothing.
 */
export function kfunc(name: string) {
  const fn = kernelFunction(name);
  return (_target: object, _key: string | symbol, desc: PropertyDescriptor): void => {
    const body = desc.value as Method;
    desc.value = function (this: RunsOnCallStack, a?: unknown, b?: unknown, c?: unknown): unknown {
      const calls = this.calls;
      const depth = calls.enter(fn);
      try {
        return body.call(this, a, b, c);
      } finally {
        calls.pop(depth);
      }
    };
  };
}
