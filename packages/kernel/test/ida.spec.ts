// Tests of the ID allocator: lowest free first, claims, and refused double claims and frees.
import { expect } from 'chai';
import { Ida, KernelError } from '../src/index.js';

const code = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(KernelError);
    return (e as KernelError).code;
  }
  throw new Error('expected a KernelError');
};

describe('Ida', () => {
  it('hands out ids from its minimum, lowest free first, reusing freed ids smallest first', () => {
    const ida = new Ida(6);
    expect([ida.alloc(), ida.alloc(), ida.alloc(), ida.alloc()]).to.deep.equal([6, 7, 8, 9]);
    ida.free(8);
    ida.free(7);
    expect(ida.alloc()).to.equal(7);
    expect(ida.alloc()).to.equal(8);
    expect(ida.alloc()).to.equal(10);
  });

  it('never hands out a claimed id, even one that was freed before it was claimed', () => {
    const ida = new Ida(0);
    ida.claim(1);
    expect([ida.alloc(), ida.alloc()]).to.deep.equal([0, 2]);
    ida.free(0);
    ida.claim(0);
    expect(ida.alloc()).to.equal(3);
    ida.free(1);
    ida.claim(5);
    expect([ida.alloc(), ida.alloc(), ida.alloc()]).to.deep.equal([1, 4, 6]);
  });

  it('refuses double claims, double frees and ids below its minimum', () => {
    const ida = new Ida(6);
    const id = ida.alloc();
    expect(code(() => ida.claim(id))).to.equal('EEXIST');
    expect(code(() => ida.claim(5))).to.equal('EINVAL');
    ida.free(id);
    expect(code(() => ida.free(id))).to.equal('EINVAL');
    expect(ida.has(id)).to.equal(false);
  });
});
