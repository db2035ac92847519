import { expect } from 'chai';
import fc from 'fast-check';
import { lifecycleProperty } from '@cspmu/testkit';

describe('Lifecycle model-based fuzzing', function () {
  this.timeout(300000);

  it('keeps every invariant over a bounded number of scheduled runs', async () => {
    await fc.assert(lifecycleProperty({ maxSteps: 25 }), { numRuns: 150 });
  });

  it('catches an injected bug: a reprobe run from inside destroy', async () => {
    const r = await fc.check(lifecycleProperty({ maxSteps: 25, machine: { inject: ['reprobe-in-destroy'] } }), { numRuns: 1000, seed: 42 });
    expect(r.failed).to.equal(true);
    expect(String((r.errorInstance as Error)?.message)).to.contain('use-after-free reports');
    // The shrunk counterexample is replayable from its seed and path.
    expect(r.counterexamplePath).to.be.a('string');
  });
});
