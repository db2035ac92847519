// Test helpers: expect a KernelError with a given errno, from a promise or a call.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';

/** Await `p`, which must reject with a KernelError; returns it. */
export async function rejects(p: Promise<unknown>): Promise<KernelError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error('expected a rejection');
}

/** Call `fn`, which must throw a KernelError with this errno (and text, if given). */
export function expectCode(fn: () => unknown, code: string, text?: string): KernelError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    expect((e as KernelError).code).to.equal(code);
    if (text) expect((e as KernelError).message).to.contain(text);
    return e as KernelError;
  }
  throw new Error(`expected ${code}`);
}
