// Tests that the numbers the open and close paths compare with in place of names are the names' values.
import { expect } from 'chai';
import { PERF_EVENT_STATE, PERF_PMU_CAP_NO_EXCLUDE, PERF_PMU_CAP_NO_INTERRUPT } from '../src/index.js';

describe('Perf core: numbers the hot paths use for names', () => {
  it('event states (context.ts, free.ts) and PMU capability bits (open-checks.ts) keep the values those files compare with', () => {
    // context.ts: INACTIVE 0, ACTIVE 1 (and state >= 0 for "enabled"); free.ts: EXIT -3, DEAD -5.
    expect(PERF_EVENT_STATE).to.deep.equal({ DEAD: -5, REVOKED: -4, EXIT: -3, ERROR: -2, OFF: -1, INACTIVE: 0, ACTIVE: 1 });
    // checkInitialisedEvent: capabilities & 2 (NO_EXCLUDE), & 1 (NO_INTERRUPT).
    expect([PERF_PMU_CAP_NO_EXCLUDE, PERF_PMU_CAP_NO_INTERRUPT]).to.deep.equal([2, 1]);
  });
});
