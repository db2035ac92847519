// Named emulated kernel functions, and the @kfunc decorator that runs a method inside its frame on the call stack.
import { kerr } from '../base/errors.js';
import type { CallStack } from './calls.js';

/**
 * Kernel functions' string ids start here, above any id a machine's string
 * table hands out, and are the same on every machine: entering a function
 * pushes a constant, with no per-machine lookup.
 */
export const KERNEL_FUNCTION_IDS = 0x40000000;

/** A named emulated kernel function, made once per process; entering it pushes its id and allocates nothing. */
export class KernelFunction {
  /** Its string id on every machine (a StringTable resolves it). */
  readonly id: number;
  constructor(
    readonly name: string,
    /** Its index among the process's kernel functions. */
    readonly slot: number,
  ) {
    this.id = KERNEL_FUNCTION_IDS + slot;
  }
}

const functions = new Map<string, KernelFunction>();
const bySlot: KernelFunction[] = [];

/** The name of the kernel function with string id `id`, or undefined if no function has it. */
export function kernelFunctionName(id: number): string | undefined {
  return bySlot[id - KERNEL_FUNCTION_IDS]?.name;
}

/** The kernel function of this name (the same object for the same name). */
export function kernelFunction(name: string): KernelFunction {
  let f = functions.get(name);
  if (!f) {
    if (!/^[A-Za-z_][\w.$<>-]*$/.test(name)) throw kerr('EINVAL', `function name '${name}' is not an identifier`);
    f = new KernelFunction(name, functions.size);
    functions.set(name, f);
    bySlot.push(f);
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
 * frame costs two integer stores (the id is a constant) and allocates nothing.
 */
export function kfunc(name: string) {
  const fn = kernelFunction(name);
  return (_target: object, _key: string | symbol, desc: PropertyDescriptor): void => {
    const body = desc.value as Method;
    const id = fn.id;
    desc.value = function (this: RunsOnCallStack, a?: unknown, b?: unknown, c?: unknown): unknown {
      const calls = this.calls;
      const depth = calls.push(id);
      try {
        return body.call(this, a, b, c);
      } finally {
        calls.pop(depth);
      }
    };
  };
}
