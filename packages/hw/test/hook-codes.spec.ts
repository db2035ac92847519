// Tests that the write-hook codes the register map gives keep the numbers CspmuModel's afterWrite and beforeWrite compare as literals.
import { expect } from 'chai';
import { HOOK } from '../src/cspmu-register-map.js';

describe('CoreSight PMU register map: write-hook codes', () => {
  it('are the literals the model dispatches on (renumber both together)', () => {
    expect(HOOK).to.deep.equal({ COUNTER: 1, SELECTION: 2, ENABLE: 3, INT_ENABLE: 4, OVERFLOW: 5, IMPDEF: 6, PMCR: 7 });
  });
});
