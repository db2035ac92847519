// Tests that cspmu stat's per-CPU, per-socket, per-node and per-core lines and -r repeats print what the real perf 6.1 prints for the same PMUs under cspmu exec.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { type BesideCase, describeBesidePerf, execUnavailable, run, skipUnless, withSession } from './helpers.js';

const CLI = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

const CASES: BesideCase[] = [
  { why: "-A merges a wildcard's copies by their place in each copy's CPU list, at the first copy's CPU", args: ['-a', '-A', '-e', 'nvidia_scf_pmu/cycles/'] },
  { why: '-A merges the copies of a bare event name, in CSV', args: ['-a', '-A', '-x,', '-e', 'cmem_rd_data'] },
  { why: '-A --no-merge shows each copy at its own CPU', args: ['-a', '-A', '--no-merge', '-e', 'nvidia_scf_pmu/cycles/'] },
  {
    why: 'a socket of the CPUs asked for where the event has no CPU prints <not counted> with 0 CPUs',
    args: ['-a', '--per-socket', '-e', 'nvidia_scf_pmu_0/cycles/'],
  },
  { why: 'the same per node, in CSV', args: ['-a', '--per-node', '-x,', '-e', 'nvidia_scf_pmu_0/cycles/'] },
  {
    why: 'the same per socket in JSON, beside a wildcard counted on both sockets',
    args: ['-a', '--per-socket', '-j', '-e', 'nvidia_scf_pmu_0/cycles/,nvidia_pcie_pmu/rd_bytes_loc/'],
  },
  { why: "per core: every core of the machine, numbered from its socket's first CPU", args: ['-a', '--per-core', '-e', 'nvidia_scf_pmu/cycles/'] },
  { why: 'per core with -C, in CSV', args: ['-C', '0,72', '--per-core', '-x,', '-e', 'nvidia_scf_pmu/cycles/'] },
  { why: "a socket's CPU count stops at its first CPU that did not count", args: ['-C', '0,1,72', '--per-socket', '-e', 'nvidia_scf_pmu/cycles/'] },
  {
    why: '-r 3: the mean of three runs, no noise where every run counts the same',
    args: ['-a', '-r', '3', '-e', 'nvidia_scf_pmu_0/cycles/,nvidia_pcie_pmu/rd_bytes_loc/'],
  },
  { why: '-r 3 in CSV: the noise column', args: ['-a', '-r', '3', '-x,', '-e', 'nvidia_scf_pmu_0/cycles/,cmem_rd_data'] },
  { why: '-r 3 in JSON: the variance key', args: ['-a', '-r', '3', '-j', '-e', 'nvidia_scf_pmu_0/cycles/,cmem_rd_data'] },
  { why: '-r 3 per socket', args: ['-a', '-r', '3', '--per-socket', '-e', 'nvidia_scf_pmu/cycles/'] },
];

describeBesidePerf('per-CPU and per-socket lines and -r: cspmu stat against the real perf 6.1 under cspmu exec', CASES);

describe('a command counted with only uncore events: cspmu stat against the real perf 6.1 under cspmu exec', function () {
  this.timeout(60_000);
  // The command's wall time sets cspmu's counts and the host's clock perf's elapsed time, so numbers are compared as numbers.
  const shape = (s: string) => s.replace(/\d[\d.]*/g, 'N').replace(/ +/g, ' ');

  for (const [why, args] of [
    ['every event on a PMU with a cpumask: counted system-wide while the command runs, with no user and sys times', ['-e', 'nvidia_scf_pmu_0/cycles/']],
    ['a bare event name on both sockets, per CPU (-A is taken then)', ['-A', '-x,', '-e', 'cmem_rd_data']],
    ['a software event beside it keeps the command per task: the uncore event is refused', ['-x,', '-e', 'nvidia_scf_pmu_0/cycles/,task-clock']],
  ] as const) {
    it(`${why}: perf stat ${args.join(' ')} sleep 0.1`, async function () {
      skipUnless(this, execUnavailable());
      const perf = await withSession('virtual', (s) => run(s, ['perf', 'stat', ...args, 'sleep', '0.1']), { proposed: ['units'] });
      const ours = spawnSync(process.execPath, [CLI, 'stat', '--proposed', 'units', ...args, 'sleep', '0.1'], { encoding: 'utf8' });
      expect([perf.status, ours.status], `${perf.stderr}\n${ours.stderr}`).to.deep.equal([0, 0]);
      expect(shape(ours.stderr)).to.equal(shape(perf.stderr));
    });
  }
});
