// Booting machine after machine in one chain of awaits: late boots do no more work than early ones, counted in JS blocks and builtin scans, not timed.
import { expect } from 'chai';
import { blockWork } from './helpers/block-work.js';

/**
 * Ten boots after EARLY earlier ones, then ten after LATE, all in one child
 * process and one chain of awaits that never yields between boots (each
 * boot ends with its own event-loop turn, as Machine.boot does for every
 * caller). A per-boot cost that grows with the machines booted before, such
 * as an AsyncLocalStorage left enabled per machine (Node runs its hook on
 * every promise), a registry scanned on each boot or a cache that keeps
 * every boot's plans, makes the late boots cost more.
 */
const EARLY = 20;
const LATE = 300;
const MAX_GROWTH = 1.05;

describe('Boot work across many boots in one chain of awaits', function () {
  this.timeout(120000);

  it(`boots ${LATE + 1}-${LATE + 10} cost at most ${MAX_GROWTH}× the work of boots ${EARLY + 1}-${EARLY + 10}, Node's promise hooks included`, () => {
    const [early, late] = blockWork(['boots-after'], [EARLY, LATE], { nodeScripts: true, warmUp: false })['boots-after'];
    const growth = late! / early!;
    // At least 0.8×: the count sees the late boots' work; at most 1.05×: nothing a boot does scales with the boots before it.
    expect(growth, `boots-after: ${early} -> ${late} (blocks + builtin scans)`).to.be.within(0.8, MAX_GROWTH);
  });
});
