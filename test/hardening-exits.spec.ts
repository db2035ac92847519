// Exit codes: every command family, given bad input, prints exactly one error line and exits non-zero (never an error with status 0, never a hang).

import { expect } from 'chai';
import { cspmu, oneLineError } from './helpers/cli.js';

/** One bad invocation per command family, and the start of the error it must print. */
const CASES: readonly (readonly [string[], string])[] = [
  [['list', 'nosuch_pmu_zz*'], "cspmu: ENOENT: no PMU matches 'nosuch_pmu_zz*'"],
  [['stat', '-e', 'nosuch_pmu_zz/cycles/', '--duration', '1ms'], 'cspmu: EINVAL: event syntax error at column 1'],
  [['encode', 'nosuch_pmu_zz/cycles/'], 'cspmu: EINVAL: event syntax error at column 1'],
  [['apmt', 'decode', '/nonexistent-apmt'], "cspmu: ENOENT: cannot read APMT file '/nonexistent-apmt'"],
  [['apmt', 'check', '/'], "cspmu: EINVAL: APMT file '/' is a directory"],
  [['apmt', 'build', 'nosuch-platform'], "cspmu: ENOENT: no built-in platform 'nosuch-platform'"],
  [['modules', '--plugin', 'nosuch_mod_zz'], "cspmu: ENOENT: no installed module 'nosuch_mod_zz'"],
  [['machine', '--workload', 'nosuch-workload'], "cspmu: ENOENT: no built-in workload 'nosuch-workload'"],
  // Node's recursive mkdir never returns for a path under /proc: the export makes each level itself.
  [['sysfs', 'export', '/proc/nosuch-dir/x'], "cspmu: ENOENT: cannot create directory '/proc/nosuch-dir'"],
  [['trace', '--rwmmio', '-e', 'nosuch_pmu_zz/cycles/', 'true'], 'cspmu: EINVAL: event syntax error at column 1'],
  // Globs that a backtracking RegExp took minutes over, and built-in names that once resolved through the prototype chain.
  [['encode', '****************x/cycles/'], "cspmu: EINVAL: event syntax error at column 1 ('****************x'): unknown PMU '****************x'"],
  [['list', '****************x'], "cspmu: ENOENT: no PMU matches '****************x'"],
  [['--platform', 'constructor', 'list'], "cspmu: ENOENT: no built-in platform 'constructor'"],
  [['--workload', '__proto__', 'list'], "cspmu: ENOENT: no built-in workload '__proto__'"],
  [['exec', '--paranoid', '9', 'true'], 'cspmu: EINVAL: --paranoid 9: use an integer from -1 to 4'],
  [['serve', '--paranoid', '9'], 'cspmu: EINVAL: --paranoid 9: use an integer from -1 to 4'],
];

describe('Hardening: exit codes', function () {
  this.timeout(180000);

  it('cspmu trace filters caller ~ "****************x" (nothing) and "****************_read_counter" (the reads) without backtracking', () => {
    const records = (glob: string) => {
      const r = cspmu(['trace', '--rwmmio', '--filter', `caller ~ "${glob}"`, '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('# tracer: rwmmio');
      return r.stdout.split('\n').filter((l) => l.includes('rwmmio_'));
    };
    expect(records(`${'*'.repeat(16)}x`)).to.deep.equal([]);
    const reads = records(`${'*'.repeat(16)}_read_counter`);
    expect(reads.map((l) => /(rwmmio_\w+): (.*) width/.exec(l)!.slice(1, 3).join(' '))).to.deep.equal([
      'rwmmio_read arm_cspmu_event_update -> arm_cspmu_read_counter',
      'rwmmio_post_read arm_cspmu_event_update -> arm_cspmu_read_counter',
      'rwmmio_read arm_cspmu_event_update -> arm_cspmu_read_counter',
      'rwmmio_post_read arm_cspmu_event_update -> arm_cspmu_read_counter',
    ]);
  });

  for (const [args, start] of CASES) {
    it(`cspmu ${args.join(' ')}: one error line, non-zero exit`, () => {
      const r = cspmu(args);
      expect(r.status, r.stderr).to.be.above(0);
      expect(oneLineError(r).startsWith(start), oneLineError(r)).to.equal(true);
    });
  }
});
