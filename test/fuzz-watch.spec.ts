// A hung fuzz worker does not hang the fuzz: heartbeats, the parent's silence watch, --worker-silence and --chunk, which replays the hung chunk.

import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COVERAGE_NAMES, HEARTBEAT_MS, heartbeatEvery, planChunks, runJobs, SilenceWatch, type WatchClock, WorkerError } from '@cspmu/testkit';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

const FUZZ = join(ROOT, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'cli.js');
const ENTRY = join(ROOT, 'packages', 'testkit', 'dist', 'src', 'fuzz', 'worker-entry.js');

/** A clock that moves only when the test says; `every` ticks on each move. */
class TestClock implements WatchClock {
  t = 1000;
  readonly periods: number[] = [];
  private readonly ticks = new Set<() => void>();
  now(): number {
    return this.t;
  }
  every(ms: number, tick: () => void): () => void {
    this.periods.push(ms);
    this.ticks.add(tick);
    return () => this.ticks.delete(tick);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const tick of [...this.ticks]) tick();
  }
}

/** Alive: a process that exists and is not a zombie (one killed and not yet reaped counts as ended). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  const state = readFileSync(stat, 'utf8').split(') ')[1]?.[0];
  return state !== 'Z' && state !== 'X';
}

/**
 * Wait for `done` to hold, polled so that a waiting test leaves the cores to the processes it waits for; the poll alone does
 * not keep mocha alive after a test that timed out.
 */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 2).unref());
}

describe('npm run fuzz: a hung worker', function () {
  this.timeout(60000);
  let dir: string;
  // A worker forked by a test itself, ended whatever the test's outcome (its heartbeat timer keeps it alive).
  let child: ChildProcess | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cspmu-fuzz-watch-'))));
  afterEach(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const options = { maxSteps: 5, inject: [], timeoutMs: 20000, silenceMs: 5000 };

  /** A fake worker: on its first chunk it runs `onChunk` (with `send`, `chunk` and `pid` in scope); it gives up after 20 s so none is left behind. */
  const fakeWorker = (onChunk: string) => {
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
const zero = Object.fromEntries(${JSON.stringify(COVERAGE_NAMES)}.map((n) => [n, 0]));
const send = (m) => process.send(m);
writeFileSync(${JSON.stringify(join(dir, 'pid'))}, String(process.pid));
setTimeout(() => process.exit(9), 20000);
let first = true;
process.on('message', (m) => {
  if (m.type === 'stop') return process.exit(0);
  if (m.type !== 'chunk' || !first) return;
  first = false;
  const chunk = m.chunk;
  ${onChunk}
});
send({ type: 'ready' });
`,
    );
    return script;
  };

  it('is killed once it has sent nothing for the silence allowed, and the run fails naming it, its chunk and its seed', async () => {
    // One heartbeat (2 runs done of chunk 0), then nothing: the worker is alive, its runs stuck.
    const script = fakeWorker(`send({ type: 'heartbeat', index: chunk.index, done: 2 });`);
    const clock = new TestClock();
    let done = 0;
    let error: unknown;
    const run = runJobs(script, planChunks(20, 1), 1, options, (n) => (done = n), clock).catch((e: unknown) => (error = e));
    await until(() => done === 2);
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    // The parent looks four times a silence (and, at 5 s, no less often than each second): a worker heard 4,999 ms ago is not silent yet.
    expect(clock.periods).to.deep.equal([heartbeatEvery(5000)]);
    expect(heartbeatEvery(5000)).to.equal(HEARTBEAT_MS);
    clock.advance(4999);
    await new Promise((r) => setImmediate(r));
    expect(error).to.equal(undefined);
    expect(alive(pid)).to.equal(true);
    clock.advance(1);
    await run;
    expect(error).to.be.instanceOf(WorkerError);
    expect((error as WorkerError).message).to.equal('fuzz worker 1 sent nothing for 5000 ms while running chunk 0 (seed 1, 5 runs): killed');
    expect((error as WorkerError).worker).to.equal(1);
    expect((error as WorkerError).chunk).to.deep.equal({ index: 0, seed: 1, runs: 5 });
    // Killed, not left running: it would have spun (or here, waited 20 s) after the fuzz ended.
    await until(() => !alive(pid));
  });

  it('is not killed while every message it sends comes within the silence allowed, though the run takes far longer', async () => {
    // Three heartbeats, the test moving the clock 4,999 ms after each (15 s in all), then the chunks' results.
    const script = fakeWorker(`let beats = 0;
  const later = [];
  process.on('message', (n) => { if (n.type === 'chunk') later.push(n.chunk); });
  const beat = setInterval(() => {
    if (++beats <= 3) return send({ type: 'heartbeat', index: chunk.index, done: beats });
    clearInterval(beat);
    for (const c of [chunk, ...later]) send({ type: 'result', index: c.index, runs: c.runs, counts: zero, failure: undefined });
  }, 5);`);
    const clock = new TestClock();
    const seen: number[] = [];
    const r = await runJobs(
      script,
      planChunks(10, 1),
      1,
      options,
      (n) => {
        seen.push(n);
        clock.advance(4999);
      },
      clock,
    );
    expect(r.coverage.runs).to.equal(10);
    // Progress comes from the heartbeats (1, 2 and 3 runs of chunk 0), then from each chunk's result.
    expect(seen).to.deep.equal([1, 2, 3, 5, 10]);
    expect(clock.t - 1000).to.equal(5 * 4999);
  });

  it('watches each worker from its last message until it ends, naming the first silent one in start order', () => {
    const clock = new TestClock();
    const watch = new SilenceWatch(clock, 100);
    for (const w of [0, 1, 2]) watch.heardFrom(w);
    clock.advance(60);
    watch.heardFrom(0);
    clock.advance(39);
    expect(watch.silent()).to.equal(undefined);
    clock.advance(1);
    expect(watch.silent()).to.equal(1);
    // A worker that has ended is silent for good, and no concern of the watch's.
    watch.ended(1);
    expect(watch.silent()).to.equal(2);
    watch.ended(2);
    expect(watch.silent()).to.equal(undefined);
    clock.advance(60);
    expect(watch.silent()).to.equal(0);
    expect([1, 4, 5, 8, 4000, 30000].map(heartbeatEvery)).to.deep.equal([1, 1, 1, 2, 1000, 1000]);
  });

  it("heartbeats each period, idle or running, with its chunk's runs done; and ends when its parent goes", async () => {
    // A real worker with a 40 ms silence allowed beats every 10 ms.
    const worker = fork(ENTRY, [JSON.stringify({ ...options, silenceMs: 40 }), '1'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child = worker;
    const beats: { index: number; done: number }[] = [];
    const results: number[] = [];
    worker.on('message', (m: { type: string; index: number; done: number }) => {
      if (m.type === 'heartbeat') beats.push({ index: m.index, done: m.done });
      if (m.type === 'result') results.push(m.index);
    });
    let exited = false;
    worker.on('exit', () => (exited = true));
    await until(() => beats.length > 0);
    expect(beats[0]).to.deep.equal({ index: -1, done: 0 });
    worker.send({ type: 'chunk', chunk: { index: 7, seed: 7, runs: 30 } });
    await until(() => results.length === 1);
    const during = beats.filter((b) => b.index === 7);
    expect(during.length, JSON.stringify(beats)).to.be.greaterThan(0);
    expect(during.every((b, k) => b.done >= 0 && b.done <= 30 && (k === 0 || b.done >= during[k - 1]!.done))).to.equal(true);
    const after = beats.length;
    await until(() => beats.length > after);
    expect(beats.at(-1)).to.deep.equal({ index: -1, done: 0 });
    // Its heartbeat timer would keep it alive for ever; a worker whose parent has gone has no one to report to.
    worker.disconnect();
    await until(() => exited);
    expect(worker.exitCode).to.equal(0);
  });
});

describe('npm run fuzz --worker-silence and --chunk', function () {
  this.timeout(120000);

  it('kills a worker stuck in its chunk, exits 1 naming it, its chunk and seed, with a command that replays the chunk in one process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-fuzz-hang-'));
    let worker: number | undefined;
    let pid: number | undefined;
    try {
      // Loaded before the fuzz's own modules in every process: the worker handed chunk 0 logs its number and pid, then spins for ever.
      const block = join(dir, 'block.mjs');
      writeFileSync(
        block,
        `import { writeFileSync } from 'node:fs';
if (process.send) process.on('message', (m) => {
  if (m.type !== 'chunk' || m.chunk.index !== 0) return;
  writeFileSync(${JSON.stringify(join(dir, 'blocked'))}, process.argv[3] + ' ' + process.pid);
  for (;;);
});
`,
      );
      const r = node(['--import', pathToFileURL(block).href, FUZZ, '--runs', '10', '--seed', '3', '--jobs', '2', '--worker-silence', '4000']);
      [worker, pid] = readFileSync(join(dir, 'blocked'), 'utf8').split(' ').map(Number);
      expect(r.status, r.stdout + r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `cspmu-fuzz: fuzz worker ${worker} sent nothing for 4000 ms while running chunk 0 (seed 3, 5 runs): killed\n` +
          'replay that chunk in one process with: npm run fuzz -- --runs 10 --seed 3 --chunk 0\n',
      );
      expect(r.stdout).to.equal('');
      expect(alive(pid!), 'the stuck worker outlived the fuzz').to.equal(false);
      // The command runs that chunk alone, in this process: chunk 0 of 10 runs from seed 3 is 5 runs of seed 3.
      const replay = node([FUZZ, '--runs', '10', '--seed', '3', '--chunk', '0']);
      expect(replay.status, replay.stdout + replay.stderr).to.equal(0);
      expect(replay.stdout).to.contain('\n5 runs passed (chunk 0 of 10 runs from seed 3: seed 3)\n');
    } finally {
      // A worker the fuzz failed to kill would spin for ever.
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs chunk k alone with the figures it has in a whole run: the chunks of a run add up to it', () => {
    const figures = (out: string) => out.split('\n').filter((l) => /^ {2}\w+ +\d+ runs/.test(l));
    const counts = (out: string) => figures(out).map((l) => Number(/ (\d+) runs/.exec(l)![1]));
    const whole = node([FUZZ, '--runs', '15', '--seed', '5', '--jobs', '1']);
    expect(whole.stdout).to.contain('15 runs passed (seeds 5..7: 3 chunks over 1 process)');
    const parts = [0, 1, 2].map((k) => node([FUZZ, '--runs', '15', '--seed', '5', '--chunk', String(k)]));
    for (const [k, p] of parts.entries()) expect(p.stdout).to.contain(`5 runs passed (chunk ${k} of 15 runs from seed 5: seed ${5 + k})`);
    const sum = parts.map((p) => counts(p.stdout)).reduce((a, b) => a.map((x, i) => x + b[i]!));
    expect(sum).to.have.length(6);
    expect(sum).to.deep.equal(counts(whole.stdout));
  });

  it('refuses a silence of 0, a negative, a fraction or a non-number (EINVAL), a chunk past the last, and a chunk without its seed', () => {
    for (const v of ['0', '-5', '1.5', 'soon', '']) {
      const r = node([FUZZ, '--worker-silence', v]);
      expect(r.status, v).to.equal(1);
      expect(r.stderr).to.equal(
        `error: option '--worker-silence <ms>' argument '${v}' is invalid. EINVAL: --worker-silence is the milliseconds a worker may send nothing ` +
          `before it is killed, a whole number from 1 to 2147483647; got '${v}'\n`,
      );
    }
    const past = node([FUZZ, '--runs', '40', '--seed', '3', '--chunk', '8']);
    expect(past.status).to.equal(2);
    expect(past.stderr).to.equal('cspmu-fuzz: --chunk: EINVAL: 40 runs from seed 3 are cut into 8 chunks, 0 to 7; got 8\n');
    const negative = node([FUZZ, '--seed', '3', '--chunk', '-1']);
    expect(negative.status).to.equal(1);
    expect(negative.stderr).to.equal(`error: option '--chunk <k>' argument '-1' is invalid. EINVAL: --chunk is a chunk's index, 0 or more; got '-1'\n`);
    const noSeed = node([FUZZ, '--chunk', '0']);
    expect(noSeed.status).to.equal(2);
    expect(noSeed.stderr).to.equal('cspmu-fuzz: --chunk needs the --seed (and --runs) its chunks were cut from\n');
  });
});
