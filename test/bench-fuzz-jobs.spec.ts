// The bench's fuzz_jobs figure (bench/src/fuzz-jobs.ts): measured at the workload in alternating pairs, with the speed-up at smaller run counts kept beside it and shown in the README.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
// Types only: the modules themselves are loaded from bench/dist at run time, as the bench runs them.
import type * as FuzzJobsModule from '../bench/src/fuzz-jobs.js';
import type * as ReadmeModule from '../bench/src/readme.js';
import { ROOT } from './helpers/cli.js';

type FuzzJobs = typeof FuzzJobsModule;
type Readme = typeof ReadmeModule;

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'bench', 'dist', file)).href)) as T;

/** A stand-in for timing the fuzz CLI: records each call; one job takes 1 s + 1 ms a run, two jobs 3 s + 0.5 ms a run (in ns). */
function fakeTimer() {
  const calls: [jobs: number, runs: number][] = [];
  const time = (jobs: number, runs: number) => {
    calls.push([jobs, runs]);
    return jobs === 1 ? (1 + runs * 1e-3) * 1e9 : (3 + runs * 5e-4) * 1e9;
  };
  return { calls, time };
}

describe('bench fuzz_jobs: the issue workload, and the speed-up by run count beside it', () => {
  it('measures 100,000 runs in five alternating pairs (2 jobs first), then one pair at 10,000 and at 40,000, and names them all in the figure', async () => {
    const { measureFuzzJobs, FUZZ_JOBS_RUNS, FUZZ_JOBS_CURVE_RUNS, FUZZ_SEED } = await load<FuzzJobs>('fuzz-jobs.js');
    expect(FUZZ_JOBS_RUNS).to.equal(100_000);
    expect(FUZZ_JOBS_CURVE_RUNS).to.deep.equal([10_000, 40_000]);
    const t = fakeTimer();
    const { figure, byRuns } = await measureFuzzJobs(t.time, { cores: 2 });
    const pair = (runs: number) => [
      [2, runs],
      [1, runs],
    ];
    expect(t.calls).to.deep.equal([...Array.from({ length: 5 }, () => pair(100_000)).flat(), ...pair(10_000), ...pair(40_000)]);
    // 101 s against 53 s at 100,000; 11 s against 8 s at 10,000; 41 s against 23 s at 40,000.
    expect(figure.id).to.equal('fuzz_jobs');
    expect(figure.value).to.equal(1.906);
    expect(figure.spread!.runs).to.equal(5);
    expect(figure.met).to.equal(true);
    expect(figure.figure).to.contain('--runs 100000');
    expect(figure.measured).to.equal('101 s with 1 job (990 runs/s), 53 s with 2 (1887 runs/s); fewer runs, one pair each: 1.38× at 10,000, 1.78× at 40,000');
    expect(byRuns).to.deep.equal({
      seed: FUZZ_SEED,
      figureRuns: 100_000,
      points: [
        { runs: 10_000, pairs: 1, oneJobS: 11, twoJobsS: 8, speedUp: 1.375 },
        { runs: 40_000, pairs: 1, oneJobS: 41, twoJobsS: 23, speedUp: 1.783 },
        { runs: 100_000, pairs: 5, oneJobS: 101, twoJobsS: 53, speedUp: 1.906 },
      ],
    });
  });

  it('takes the run counts and rounds it is given, measures no curve point at or above the figure, and refuses fewer than 5 rounds', async () => {
    const { measureFuzzJobs } = await load<FuzzJobs>('fuzz-jobs.js');
    const t = fakeTimer();
    const { figure, byRuns } = await measureFuzzJobs(t.time, { runs: 200, curveRuns: [400, 50, 200, 50], rounds: 6, cores: 4 });
    expect(t.calls.length).to.equal(14);
    expect(t.calls.slice(12)).to.deep.equal([
      [2, 50],
      [1, 50],
    ]);
    expect(byRuns.points.map((p) => [p.runs, p.pairs])).to.deep.equal([
      [50, 1],
      [200, 6],
    ]);
    expect(figure.figure).to.contain('--runs 200').and.contain('4 cores');
    const alone = await measureFuzzJobs(fakeTimer().time, { runs: 200, curveRuns: [], cores: 2 });
    expect(alone.figure.measured).to.not.contain('fewer runs');
    let err: unknown;
    await measureFuzzJobs(fakeTimer().time, { runs: 200, rounds: 4, cores: 2 }).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).to.contain('at least 5 alternating rounds');
  });

  it('the README block shows the curve, each run count with both times, its speed-up and its pairs, and only when the file has one', async () => {
    const { measureFuzzJobs } = await load<FuzzJobs>('fuzz-jobs.js');
    const { renderTable } = await load<Readme>('readme.js');
    const { figure, byRuns } = await measureFuzzJobs(fakeTimer().time, { cores: 2 });
    const base = {
      generatedAt: '2026-11-23T11:25:00.000Z',
      node: 'v20.20.2',
      cpu: 'test cpu',
      cores: 2,
      loadAverage: { atStart: 1, atEnd: 1 },
      rounds: 5,
      kernelReference: 'test',
      seconds: 900,
      figures: [figure],
    };
    const withCurve = renderTable({ ...base, fuzzJobsByRuns: byRuns });
    expect(withCurve).to.contain('How fuzz_jobs depends on the run count (seed 20261122, wall time; the figure is at 100,000 runs');
    const curve = withCurve.slice(withCurve.indexOf('| runs |')).split('\n').slice(2, 5);
    expect(curve).to.deep.equal(['| 10,000 | 11 s | 8 s | 1.38× | 1 |', '| 40,000 | 41 s | 23 s | 1.78× | 1 |', '| 100,000 | 101 s | 53 s | 1.91× | 5 |']);
    expect(renderTable(base)).to.not.contain('How fuzz_jobs depends');
  });
});
