// npm run fuzz as a user runs it: seeded chunks of runs shared by processes, coverage figures, and a failure that replays in one process.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CHUNKS_IN_HAND,
  COVERAGE_NAMES,
  formatCpuReport,
  GcCounter,
  HeldChunks,
  MAX_CHUNK_RUNS,
  MIN_CHUNK_RUNS,
  planChunks,
  runJobs,
  workerFlags,
} from '@cspmu/testkit';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

const FUZZ = join(ROOT, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');

describe('npm run fuzz', function () {
  this.timeout(120000);

  it('cuts the runs into seeded chunks that shrink towards the end, every run in exactly one, whatever the number of jobs', () => {
    const sizes = (runs: number) => planChunks(runs, 7).map((c) => c.runs);
    expect(sizes(3)).to.deep.equal([3]);
    expect(sizes(40)).to.deep.equal(Array(8).fill(MIN_CHUNK_RUNS));
    // Each chunk is a sixteenth of what is left, rounded up, at least 5 (the last one takes what remains).
    expect(sizes(200)).to.deep.equal([13, 12, 11, 11, 10, 9, 9, 8, 8, 7, 7, 6, 6, 6, ...Array(15).fill(5), 2]);
    for (const runs of [1, 2, 199, 2000, 20001]) {
      const s = sizes(runs);
      expect(
        s.reduce((a, b) => a + b, 0),
        `${runs} runs`,
      ).to.equal(runs);
      expect(
        s.every((n, k) => n <= MAX_CHUNK_RUNS && (k === 0 || n <= s[k - 1]!)),
        `${runs} runs: ${s}`,
      ).to.equal(true);
      expect(s.slice(0, -1).every((n) => n >= MIN_CHUNK_RUNS)).to.equal(true);
    }
    const big = planChunks(100000, 2 ** 31 - 2);
    expect(big.filter((c) => c.runs === MAX_CHUNK_RUNS)).to.have.length(985);
    expect(big).to.have.length(1045);
    // Chunk k is seeded seed + k, as a 32-bit integer.
    expect(big.slice(0, 3).map((c) => c.seed)).to.deep.equal([2 ** 31 - 2, 2 ** 31 - 1, -(2 ** 31)]);
    expect(big.map((c) => c.index)).to.deep.equal([...Array(big.length).keys()]);
  });

  it('runs workers with their GC on their own thread only when the jobs take every core', () => {
    expect(workerFlags(2, 2)).to.deep.equal(['--single-threaded-gc']);
    expect(workerFlags(3, 2)).to.deep.equal(['--single-threaded-gc']);
    expect(workerFlags(2, 4)).to.deep.equal([]);
  });

  it('cuts 40 runs into 8 chunks of 5 (seeds 3 to 10) shared by 2 worker processes, combines their runs, and prints the coverage figures one process prints', () => {
    const r = node([FUZZ, '--runs', '40', '--seed', '3', '--jobs', '2']);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain('coverage over 40 runs:');
    for (const n of ['rotated', 'overflowed32', 'migrated', 'toreAndRetried', 'hotSwapped', 'raced'])
      expect(r.stdout).to.match(new RegExp(`^  ${n} +\\d+ runs +\\d+\\.\\d%  \\(goal \\d+%, (ok|BELOW GOAL)\\)$`, 'm'));
    expect(r.stdout).to.contain('40 runs passed (seeds 3..10: 8 chunks over 2 processes)');
    // One job makes the same runs: the same figures, run for run.
    const one = node([FUZZ, '--runs', '40', '--seed', '3', '--jobs', '1']);
    expect(one.status, one.stdout + one.stderr).to.equal(0);
    expect(one.stdout).to.contain('40 runs passed (seeds 3..10: 8 chunks over 1 process)');
    const figures = (out: string) => out.split('\n').filter((l) => l.startsWith('  '));
    expect(figures(one.stdout)).to.have.length(6);
    expect(figures(one.stdout)).to.deep.equal(figures(r.stdout));
  });

  it("with --cpu-report prints the CPU time of the workers' main threads, of V8's helper threads and of the parent, and the workers' garbage collections per run", () => {
    const cpuLine = (out: string) => out.split('\n').find((l) => l.startsWith('cpu: '));
    const gcLine = (out: string) => /^gc: (\d+) scavenges, (\d+) mark-compacts \((\d+\.\d{4}) and (\d+\.\d{4}) a run\)$/m.exec(out);
    const two = node([FUZZ, '--runs', '10', '--seed', '3', '--jobs', '2', '--cpu-report']);
    expect(two.status, two.stdout + two.stderr).to.equal(0);
    const m = /^cpu: 2 workers: main threads (\d+\.\d\d) s, V8 helper threads (\d+\.\d\d) s, parent (\d+\.\d\d) s$/.exec(cpuLine(two.stdout) ?? '');
    expect(m, two.stdout).to.not.equal(null);
    // The workers boot machines and fuzz; the parent only hands out chunks.
    expect(Number(m![1])).to.be.greaterThan(Number(m![3]));
    const g = gcLine(two.stdout);
    expect(g, two.stdout).to.not.equal(null);
    // Ten runs boot eleven machines in each worker: the young generation fills more than once.
    expect(Number(g![1])).to.be.greaterThan(1);
    expect(g![3]).to.equal((Number(g![1]) / 10).toFixed(4));
    const one = node([FUZZ, '--runs', '10', '--seed', '3', '--jobs', '1', '--cpu-report']);
    expect(one.status, one.stdout + one.stderr).to.equal(0);
    expect(cpuLine(one.stdout)).to.match(/^cpu: 1 process: main thread \d+\.\d\d s, V8 helper threads \d+\.\d\d s$/);
    expect(Number(gcLine(one.stdout)?.[1])).to.be.greaterThan(1);
    expect(two.stdout).to.contain('10 runs passed');
    expect(formatCpuReport(10, undefined, [])).to.equal('cpu: per-thread times are read from /proc/self/task, which this system does not have');
  });

  it('counts the garbage collections this process makes while it counts', async () => {
    const counter = new GcCounter();
    // Allocate well past the young generation; Node delivers each collection's entry on a later turn of the event loop.
    let keep: number[][] = [];
    for (let i = 0; i < 4000; i++) {
      keep.push(new Array(1000).fill(i));
      if (keep.length > 8) keep = [];
    }
    for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
    const cpu = counter.stop();
    expect(keep.length).to.be.lessThan(9);
    if (cpu === undefined) return; // no /proc here: nothing to report
    expect(cpu.scavenges).to.be.greaterThan(0);
    expect(cpu.mainS).to.be.greaterThan(0);
  });

  it('with 2 jobs the parent loads none of the emulator (it forks its workers at once and only hands out chunks); each worker loads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-load-log-'));
    try {
      const hooks = pathToFileURL(join(ROOT, 'test', 'dist', 'helpers', 'load-log.js')).href;
      const logHooks = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)})`;
      const r = node(['--import', logHooks, FUZZ, '--runs', '10', '--seed', '3', '--jobs', '2'], { env: { CSPMU_LOAD_LOG: dir } });
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.contain('10 runs passed (seeds 3..4: 2 chunks over 2 processes)');
      // One log per process, named pid-ppid: the parent is the process whose workers name it as theirs.
      const logs = readdirSync(dir).map((f) => ({ pid: f.split('-')[0]!, ppid: f.split('-')[1]!, loaded: readFileSync(join(dir, f), 'utf8').split('\n') }));
      const parent = logs.find((l) => logs.some((w) => w.ppid === l.pid))!;
      const workers = logs.filter((l) => l.ppid === parent.pid);
      expect(workers).to.have.length(2);
      const ours = (loaded: string[]) =>
        loaded.filter((u) => u.startsWith(pathToFileURL(join(ROOT, 'packages')).href)).map((u) => u.slice(pathToFileURL(ROOT).href.length + 1));
      // The fuzz command, the job plan and its figures, the watch on silent workers, and the kernel's list of hazards with the error it
      // throws: nothing that boots a machine.
      expect(ours(parent.loaded).sort()).to.deep.equal([
        'packages/kernel/dist/src/base/errors.js',
        'packages/kernel/dist/src/base/inject.js',
        'packages/testkit/dist/src/fuzz/cli.js',
        'packages/testkit/dist/src/fuzz/coverage.js',
        'packages/testkit/dist/src/fuzz/jobs.js',
        'packages/testkit/dist/src/fuzz/watch.js',
      ]);
      for (const w of workers) expect(ours(w.loaded)).to.include.members(['packages/testkit/dist/src/fuzz/runner.js', 'packages/system/dist/src/machine.js']);
      // The CLI's option parser and progress bar stay out of the workers (they start from their own entry), and the bar out of a parent
      // whose stderr is not a terminal; the parent's commander shows these names are what the log holds.
      const cliParts = (loaded: string[]) =>
        loaded.filter((u) => /\/node_modules\/(commander|cli-progress)\//.test(u)).map((u) => u.replace(/^.*\/node_modules\//, ''));
      expect(cliParts(parent.loaded).some((u) => u.startsWith('commander/'))).to.equal(true);
      expect(cliParts(parent.loaded).filter((u) => u.startsWith('cli-progress/'))).to.deep.equal([]);
      for (const w of workers) expect(cliParts(w.loaded)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails, naming the worker, when a worker process ends before it is told to stop: its chunks are not silently left unrun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-dead-worker-'));
    try {
      const options = { maxSteps: 5, inject: [], timeoutMs: 20000 };
      for (const [body, how] of [
        ['process.exit(0);', 'code 0'],
        ['process.exit(3);', 'code 3'],
      ] as const) {
        const script = join(dir, `worker-${how.replace(' ', '-')}.mjs`);
        writeFileSync(script, body);
        let error: Error | undefined;
        await runJobs(script, planChunks(20, 1), 2, options, () => {}).catch((e: Error) => (error = e));
        expect(error?.message).to.match(new RegExp(`^fuzz worker [12] exited with ${how} before it was told to stop$`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands each worker its next chunk before it finishes the one it runs, so no worker waits for its parent between chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-held-chunks-'));
    try {
      // A worker that answers its first chunk only once a second message has come (a worker holding one chunk would wait forever:
      // it gives up after 10 s, exit 7, and the fuzz fails), then every chunk at once; it logs what it received. A worker whose
      // first chunk is the last of the 12 (the other outran it to the rest) can be handed no second: it answers that one at once.
      const script = join(dir, 'worker.mjs');
      writeFileSync(
        script,
        `import { appendFileSync } from 'node:fs';
const zero = Object.fromEntries(${JSON.stringify(COVERAGE_NAMES)}.map((n) => [n, 0]));
const got = [];
const answer = (c) => process.send({ type: 'result', index: c.index, runs: c.runs, counts: zero, failure: undefined });
const guard = setTimeout(() => { appendFileSync(${JSON.stringify(join(dir, 'log'))}, 'no second message\\n'); process.exit(7); }, 10000);
process.on('message', (m) => {
  got.push(m.type === 'chunk' ? m.chunk.index : m.type);
  if (m.type === 'stop') { clearTimeout(guard); appendFileSync(${JSON.stringify(join(dir, 'log'))}, JSON.stringify(got) + '\\n'); process.disconnect(); return; }
  if (got.length === 1 && m.chunk.index !== 11) return;
  clearTimeout(guard);
  if (got.length === 2) answer({ index: got[0], runs: 5 });
  answer(m.chunk);
});
process.send({ type: 'ready' });
`,
      );
      const options = { maxSteps: 5, inject: [], timeoutMs: 20000 };
      let done = 0;
      const r = await runJobs(script, planChunks(60, 1), 2, options, (n) => (done = n));
      expect(CHUNKS_IN_HAND).to.equal(2);
      expect(r.coverage.runs).to.equal(60);
      expect(done).to.equal(60);
      // One line per worker (a worker the other outran may have been sent only stop); none gave up waiting for a second chunk.
      const got = readFileSync(join(dir, 'log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as (number | string)[]);
      expect(got).to.have.length(2);
      // Every chunk was sent to one worker, once, and stop came last, after the chunks it was sent.
      for (const g of got) expect(g.indexOf('stop')).to.equal(g.length - 1);
      expect(
        got
          .flatMap((g) => g.slice(0, -1))
          .map(Number)
          .sort((a, b) => a - b),
      ).to.deep.equal([...Array(12).keys()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails, naming the worker and both chunks, when a worker reports on a chunk other than the one it was to run first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-out-of-order-'));
    try {
      const script = join(dir, 'worker.mjs');
      writeFileSync(
        script,
        `const zero = Object.fromEntries(${JSON.stringify(COVERAGE_NAMES)}.map((n) => [n, 0]));
const got = [];
process.on('message', (m) => {
  if (m.type !== 'chunk') return process.disconnect();
  got.push(m.chunk);
  if (got.length === 2) process.send({ type: 'result', index: got[1].index, runs: got[1].runs, counts: zero, failure: undefined });
});
process.send({ type: 'ready' });
// A parent that took the report would wait for ever for chunks this worker never runs: end so that the test fails, not hangs.
setTimeout(() => process.exit(9), 3000);
`,
      );
      let error: Error | undefined;
      await runJobs(script, planChunks(20, 1), 1, { maxSteps: 5, inject: [], timeoutMs: 20000 }, () => {}).catch((e: Error) => (error = e));
      expect(error?.message).to.equal('fuzz worker 1 reported on chunk 1 while it was to run chunk 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker runs the chunks it holds one at a time, in order; stop lets the running one finish and drops the rest', async () => {
    const ran: string[] = [];
    let stopped = 0;
    const gates: (() => void)[] = [];
    const held = new HeldChunks(
      (c) =>
        new Promise<boolean>((resolve) => {
          ran.push(`start ${c.index}`);
          gates.push(() => {
            ran.push(`end ${c.index}`);
            resolve(false);
          });
        }),
      () => void stopped++,
    );
    const chunk = (index: number) => ({ index, seed: index, runs: 5 });
    held.add(chunk(0));
    held.add(chunk(1));
    expect(ran).to.deep.equal(['start 0']);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal(['start 0', 'end 0', 'start 1']);
    held.add(chunk(2));
    held.add(chunk(3));
    held.stop();
    held.add(chunk(4));
    expect(stopped).to.equal(0);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal(['start 0', 'end 0', 'start 1', 'end 1']);
    expect(stopped).to.equal(1);
    held.stop();
    expect(stopped).to.equal(1);
    // Stopped while idle: at once.
    let idleStopped = 0;
    const idle = new HeldChunks(
      async () => false,
      () => void idleStopped++,
    );
    idle.stop();
    expect(idleStopped).to.equal(1);
  });

  it('a worker whose chunk found a failure stops itself: the chunk it holds next never starts', async () => {
    const ran: number[] = [];
    let stopped = 0;
    const held = new HeldChunks(
      async (c) => {
        ran.push(c.index);
        return c.index === 0;
      },
      () => void stopped++,
    );
    held.add({ index: 0, seed: 0, runs: 5 });
    held.add({ index: 1, seed: 1, runs: 5 });
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal([0]);
    expect(stopped).to.equal(1);
    held.add({ index: 2, seed: 2, runs: 5 });
    await new Promise((r) => setImmediate(r));
    expect(ran).to.deep.equal([0]);
  });

  it('prints a failure found by a worker as a seed and path that replay in one process to the same trace', () => {
    const r = node([FUZZ, '--runs', '200', '--seed', '1', '--jobs', '2', '--inject', 'no-hilohi']);
    expect(r.status).to.equal(1);
    // 200 runs: 30 chunks, seeds 1 to 30.
    const found = /FAILED: torn-read report, found by seed (\d+) after \d+ passing runs/.exec(r.stdout);
    expect(found, r.stdout).to.not.equal(null);
    expect(Number(found![1])).to.be.within(1, 30);
    const replay = /replay with: npm run fuzz -- --seed (-?\d+) --path "([\d:]+)" --inject no-hilohi --trace/.exec(r.stdout);
    expect(replay, r.stdout).to.not.equal(null);
    const digest = /trace digest: ([0-9a-f]{16})/.exec(r.stdout)![1];
    const again = node([FUZZ, '--seed', replay![1]!, '--path', replay![2]!, '--inject', 'no-hilohi', '--trace']);
    expect(again.status).to.equal(1);
    expect(again.stdout).to.contain(`trace digest: ${digest}`);
    expect(again.stdout).to.match(/: torn-read report: torn read: event \d+ on arm-cs-arch-pmu\.1/);
    expect(again.stdout).to.match(/^step read a 64-bit counter across its carry/m);
  });

  it('refuses an unknown hazard and a path without its seed, exit code 2', () => {
    const bad = node([FUZZ, '--inject', 'use-after-free']);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain("unknown injected hazard 'use-after-free'");
    const noSeed = node([FUZZ, '--path', '3:1']);
    expect(noSeed.status).to.equal(2);
    expect(noSeed.stderr).to.contain('--path needs the --seed it came from');
  });
});
