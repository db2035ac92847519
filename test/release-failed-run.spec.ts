// A fuzz run releases its machine only when it passed: a failed run's machine stays whole, since its tasks may still be running.
import { TOKENS } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import { lifecycleProperty } from '@cspmu/testkit';
import { expect } from 'chai';
import fc from 'fast-check';

describe('Releasing a fuzz run’s machine', () => {
  it('keeps the machine of the run that failed (its services still resolve), having released the passed ones before it', async () => {
    const machines: Machine[] = [];
    const failed: boolean[] = [];
    // double-module-put is found on the second run from this seed; endOnFailure: no shrinking runs after it.
    const property = lifecycleProperty({
      inject: ['double-module-put'],
      maxSteps: 12,
      machine: { beforeDrivers: (m) => void machines.push(m) },
      onRun: (run) => void failed.push(run.failed),
    });
    const r = await fc.check(property, { numRuns: 300, seed: 20261123, endOnFailure: true });
    expect(r.failed, 'the injected double put is found').to.equal(true);
    expect(failed.at(-1)).to.equal(true);
    expect(failed.slice(0, -1)).to.not.include(true);
    expect(machines).to.have.length(failed.length);
    expect(machines.map((m) => m.container.isBound(TOKENS.Kernel))).to.deep.equal(failed);
  });
});
