// Test helper: await a promise that must reject with a KernelError.
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
