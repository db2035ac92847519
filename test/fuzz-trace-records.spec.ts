// A fuzz run's trace lists each lifecycle record once, in the order it was recorded, however often the run flushes them.

import { runFuzz } from '@cspmu/testkit';
import { expect } from 'chai';

const SEED = 20261122;

describe('Fuzz run traces and lifecycle records', () => {
  it('writes each lifecycle record of a run once: times never go back, and no event is opened twice', async () => {
    const traces: (readonly string[])[] = [];
    await runFuzz({ runs: 6, seed: SEED, onRun: (run) => void traces.push(run.trace) });
    expect(traces).to.have.length(6);
    let records = 0;
    for (const [i, trace] of traces.entries()) {
      const life = trace.filter((l) => /^ {2}@\d+ /.test(l));
      records += life.length;
      const times = life.map((l) => Number(/^ {2}@(\d+) /.exec(l)![1]));
      for (let k = 1; k < times.length; k++) expect(times[k]!, `run ${i} (seed ${SEED}), record ${k}: ${life[k]}`).to.be.at.least(times[k - 1]!);
      const opened = life.filter((l) => / event:opened /.test(l)).map((l) => /"id":(\d+)/.exec(l)?.[1]);
      expect(new Set(opened).size, `run ${i} (seed ${SEED}) opens an event id twice`).to.equal(opened.length);
    }
    expect(records, 'the runs recorded lifecycle events').to.be.above(10);
  });
});
