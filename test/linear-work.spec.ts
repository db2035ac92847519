// APMT boot, APMT checking, platform validation and their error reports do work linear in size, counted in JS blocks executed, not timed.
import { expect } from 'chai';
import { blockWork } from './helpers/block-work.js';
import type { WorkScenarioName } from './helpers/block-work-scenarios.js';

/** Sizes n and 4n under the default cap of 4096: linear work grows about 4×, work done by scanning every earlier node 16×. */
const N = 1000;
const SIZES = [N, 4 * N];
const MAX_GROWTH = 4.5;

const SCENARIOS: readonly [WorkScenarioName, string][] = [
  ['apmt-boot', 'booting an APMT'],
  ['apmt-boot-one-bad', "booting an APMT whose last node repeats the first node's id and page"],
  ['apmt-check-all-bad', 'checking an APMT whose every node is bad and half repeat the other half, with its error and every verdict line'],
  ['platform', 'validating a platform'],
  ['platform-boot', 'booting a platform description'],
  ['platform-one-bad', "reporting a platform whose last device overlaps the first's page"],
  ['platform-all-bad', "reporting a platform whose every device is bad and half repeat the other half's labels, ids and pages"],
  ['platform-schema-all-bad', 'reporting a platform whose every device has an unknown field'],
];

describe('Linear work: APMT boot, platform validation and error reporting', function () {
  this.timeout(120000);
  let work: Record<WorkScenarioName, number[]>;

  before(() => {
    work = blockWork(
      SCENARIOS.map(([s]) => s),
      SIZES,
    );
  });

  for (const [scenario, what] of SCENARIOS) {
    it(`${what}: ${4 * N} nodes cost at most ${MAX_GROWTH}× the work of ${N} (quadratic would be 16×)`, () => {
      const [small, large] = work[scenario]!;
      const growth = large! / small!;
      // Above 2×, the count sees work per node; at most 4.5×, that work does not scan other nodes.
      expect(growth, `${scenario}: ${small} -> ${large} (blocks + builtin scans)`).to.be.within(2, MAX_GROWTH);
    });
  }
});
