// The bench's per-operation timer (bench/src/per-op.ts): it refuses a loop that skipped an operation, times the loops it is asked to, and reports the total or the median as asked.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
// Types only: the module itself is loaded from bench/dist at run time, as the bench runs it.
import type { perOp } from '../bench/src/per-op.js';
import { node, ROOT } from './helpers/cli.js';

type PerOp = typeof perOp;

const load = async (): Promise<PerOp> => ((await import(pathToFileURL(join(ROOT, 'bench', 'dist', 'per-op.js')).href)) as { perOp: PerOp }).perOp;

/** Busy-wait for `ms` of wall time. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('bench perOp: loops of operations timed whole and divided', () => {
  it('refuses a loop whose sum shows an operation did not run', async () => {
    const perOp = await load();
    const skipsOne = (n: number) => {
      let sum = 0;
      for (let i = 1; i < n; i++) sum += 3;
      return sum;
    };
    let err: unknown;
    await perOp(skipsOne, { n: 100, loops: 5, each: 3 }).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).to.contain('a loop of 100 operations returned 297, not 300: not every operation ran');
  });

  it('refuses a run in which only an early loop skipped an operation (every loop is checked, not the last)', async () => {
    const perOp = await load();
    let calls = 0;
    // The warm-up call and the first timed loop are short by one; the last four are whole.
    const shortEarly = (n: number) => {
      calls++;
      let sum = 0;
      for (let i = calls <= 2 ? 1 : 0; i < n; i++) sum += 3;
      return sum;
    };
    let err: unknown;
    await perOp(shortEarly, { n: 100, loops: 5, each: 3 }).catch((e: unknown) => {
      err = e;
    });
    expect(calls).to.be.greaterThan(2);
    expect(String(err)).to.contain('a loop of 100 operations returned 297, not 300: not every operation ran');
  });

  it('refuses a check its sum cannot make exactly (n × each past 2^53)', async () => {
    const perOp = await load();
    let err: unknown;
    await perOp((n) => n * 2 ** 52, { n: 4, loops: 5, each: 2 ** 52 }).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).to.contain('must be an exact integer to check');
  });

  it('times exactly the loops asked for, after one warm-up loop', async () => {
    const perOp = await load();
    let calls = 0;
    const loop = (n: number) => {
      calls++;
      spin(1);
      return n;
    };
    const t = await perOp(loop, { n: 1000, loops: 7, each: 1 });
    expect(calls).to.equal(8);
    // 1 ms over 1,000 operations is at least 1,000 ns each.
    expect(t).to.be.at.least(1000);
    // A loop quicker than mitata's batching threshold (65.5 µs) is still called once a sample, never in batches of 4,096.
    let quick = 0;
    await perOp(
      (n) => {
        quick++;
        return n;
      },
      { n: 10, loops: 7, each: 1 },
    );
    // Exactly one untimed call, however quick (mitata makes two more when the first takes under 0.5 ms).
    expect(quick).to.equal(8);
  });

  it('runs exactly the warm-up loops asked for, untimed, each checked like a timed one', async () => {
    const perOp = await load();
    // The clock moves 1 ms per timed loop and 100 ms per warm-up loop: a warm-up loop timed would show.
    let clock = 0;
    let calls = 0;
    const warm = 4;
    const loop = (n: number) => {
      calls++;
      clock += calls <= warm ? 100e6 : 1e6;
      return n;
    };
    expect(await perOp(loop, { n: 10, loops: 5, each: 1, warmLoops: warm, now: () => clock })).to.equal(1e6 / 10);
    expect(calls).to.equal(warm + 5);
    // A warm-up loop that skips an operation is refused too.
    let shortCalls = 0;
    const shortFirst = (n: number) => (++shortCalls === 1 ? n - 1 : n);
    let err: unknown;
    await perOp(shortFirst, { n: 10, loops: 5, each: 1, warmLoops: 3 }).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).to.contain('a loop of 10 operations returned 9, not 10');
    for (const bad of [0, 1.5, -1]) {
      let refused: unknown;
      await perOp((n) => n, { n: 10, loops: 5, each: 1, warmLoops: bad }).catch((e: unknown) => {
        refused = e;
      });
      expect(String(refused), String(bad)).to.contain('warmLoops must be an integer ≥ 1');
    }
  });

  it('settles the heap once, before the warm-up, and never between the warm-up and the timed loops', () => {
    // A full collection when nothing the loop made is alive frees the hidden classes its compiled code is specialised
    // for, and V8 throws the code away: run with --expose-gc and count the collections each loop call has seen.
    const url = pathToFileURL(join(ROOT, 'bench', 'dist', 'per-op.js')).href;
    const script = `
      const real = globalThis.gc; let gcs = 0;
      globalThis.gc = () => { gcs++; real(); };
      const { perOp } = await import(${JSON.stringify(url)});
      gcs = 0; // mitata calls gc once as it loads, to see that it can
      const seen = [];
      await perOp((n) => { seen.push(gcs); return n; }, { n: 10, loops: 5, each: 1, warmLoops: 3 });
      console.log(JSON.stringify({ seen, gcs }));`;
    const r = node(['--expose-gc', '--input-type=module', '-e', script]);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ seen: [1, 1, 1, 1, 1, 1, 1, 1], gcs: 1 });
  });

  it('the total keeps a slow loop (as the C program does); the median drops it', async () => {
    const perOp = await load();
    // Timed by a clock the loops move: one loop in five takes 100 ms, the others 1 ms.
    const pattern = () => {
      let clock = 0;
      let calls = 0;
      const loop = (n: number) => {
        calls++;
        clock += calls % 5 === 3 ? 100e6 : 1e6;
        return n;
      };
      return { loop, now: () => clock };
    };
    const t = pattern();
    const m = pattern();
    expect(await perOp(t.loop, { n: 1, loops: 5, each: 1, now: t.now })).to.equal((4 * 1e6 + 100e6) / 5);
    expect(await perOp(m.loop, { n: 1, loops: 5, each: 1, now: m.now, statistic: 'median' })).to.equal(1e6);
  });
});
