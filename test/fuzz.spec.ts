// Lifecycle fuzzing: a bounded seeded run with coverage minimums, exact replay, and every injected hazard caught by its checker.

import type { InjectedHazard } from '@cspmu/kernel';
import { COVERAGE_GOALS, COVERAGE_NAMES, type ReportKind, RunTrace, replayFuzz, runFuzz } from '@cspmu/testkit';
import { expect } from 'chai';

/** Fixed seeds: a failure here replays with `npm run fuzz -- --seed <seed> --path <path>`. */
const SEED = 1;

describe('Lifecycle model-based fuzzing', function () {
  this.timeout(600000);

  it(`keeps every invariant over 300 seeded runs (seed ${SEED}) and reaches each rare path in its share of runs`, async () => {
    const r = await runFuzz({ runs: 300, seed: SEED });
    expect(r.failure?.message, `seed ${SEED} path ${r.failure?.path}`).to.equal(undefined);
    expect(r.runs).to.equal(300);
    for (const n of COVERAGE_NAMES) expect(r.coverage.share(n), `${n} (goal ${COVERAGE_GOALS[n]})`).to.be.at.least(COVERAGE_GOALS[n]);
  });

  it('replays a shrunk failure from its seed and path step for step, to the same failure', async () => {
    const found = await runFuzz({ runs: 300, seed: SEED, inject: ['no-hilohi'] });
    const f = found.failure!;
    expect(f, 'the injected torn read is found').to.not.equal(undefined);
    expect(f.kind).to.equal('torn-read');
    expect(f.path.split(':').length, 'the failure was shrunk').to.be.greaterThan(1);
    const again = await replayFuzz({ seed: SEED, path: f.path, inject: ['no-hilohi'] });
    const thrice = await replayFuzz({ seed: SEED, path: f.path, inject: ['no-hilohi'] });
    expect(again).to.deep.include({ failed: true, kind: 'torn-read', message: f.message });
    // The same steps, scheduling decisions and lifecycle events, in the same order, at the same times.
    expect(again.trace).to.deep.equal(f.trace);
    expect(thrice.trace).to.deep.equal(f.trace);
    expect(f.trace.some((l) => l.startsWith('step '))).to.equal(true);
    expect(f.trace.some((l) => /^ {2}@\d+ /.test(l))).to.equal(true);
  });

  it('replays a run with many scheduling choices to the same trace as when it first ran', async () => {
    const traces: (readonly string[])[] = [];
    await runFuzz({ runs: 40, seed: SEED, onRun: (run) => void traces.push(run.trace) });
    // The run whose scheduler chose among two or more waiting tasks most often.
    const choices = (t: readonly string[]) => t.filter((l) => /run task \d+ of ([2-9]|\d\d+) waiting/.test(l)).length;
    const index = traces.reduce((best, t, i) => (choices(t) > choices(traces[best]!) ? i : best), 0);
    expect(choices(traces[index]!), 'a run with real choices').to.be.at.least(3);
    const again = await replayFuzz({ seed: SEED, path: String(index) });
    expect(again.failed).to.equal(false);
    expect(again.trace).to.deep.equal(traces[index]);
  });

  it('writes a run trace only when read: the header, then steps, lifecycle records, decisions and fixed lines in the order they came', () => {
    const t = new RunTrace(-7, 3);
    const step = { toString: () => 'open(pmu#1, cycles)', run: () => undefined };
    t.step(step);
    const records = [
      { seq: 0, timeNs: 12, name: 'event:opened', payload: { id: 1, pmu: 'fuzz_scf_0', cpu: 0, config: '0x11' } },
      { seq: 1, timeNs: 40, name: 'pmu:migrated', payload: { pmu: 'fuzz_scf_0', from: 0, to: 1, events: 2 } },
    ];
    t.lifecycle(records);
    records.length = 0; // the caller reuses its array: the trace kept the records themselves
    t.decision(4, 2);
    t.note('drain');
    t.decision(9, 1);
    t.note('close all');
    const lines = t.lines();
    expect(lines).to.deep.equal([
      'scheduler seed -7, latency 3 ns',
      'step open(pmu#1, cycles)',
      '  @12 event:opened {"id":1,"pmu":"fuzz_scf_0","cpu":0,"config":"0x11"}',
      '  @40 pmu:migrated {"pmu":"fuzz_scf_0","from":0,"to":1,"events":2}',
      '  run task 4 of 2 waiting',
      'drain',
      '  run task 9 of 1 waiting',
      'close all',
    ]);
    expect(t.lines(), 'written once').to.equal(lines);
    t.note('after the first read');
    expect(t.lines().at(-1), 'an entry added after a read is in the next read').to.equal('after the first read');
    expect(t.lines()).to.have.length(lines.length + 1);
  });

  const hazards: [InjectedHazard, ReportKind][] = [
    ['reprobe-in-destroy', 'kasan'],
    ['no-grace-period', 'kasan'],
    ['double-module-put', 'refcount'],
    ['no-hilohi', 'torn-read'],
    ['lock-inversion', 'lockdep'],
  ];
  for (const [hazard, kind] of hazards) {
    it(`finds the injected ${hazard} from seed ${SEED} within 300 runs, reported as ${kind}`, async () => {
      const r = await runFuzz({ runs: 300, seed: SEED, inject: [hazard], noShrink: true });
      expect(r.failure, `${hazard} found`).to.not.equal(undefined);
      expect(r.failure!.kind, r.failure!.message).to.equal(kind);
    });
  }
});
