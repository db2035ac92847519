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
  [['exec', '--paranoid', '9', 'true'], 'cspmu: EINVAL: --paranoid 9: use an integer from -1 to 4'],
  [['serve', '--paranoid', '9'], 'cspmu: EINVAL: --paranoid 9: use an integer from -1 to 4'],
];

describe('Hardening: exit codes', function () {
  this.timeout(180000);

  for (const [args, start] of CASES) {
    it(`cspmu ${args.join(' ')}: one error line, non-zero exit`, () => {
      const r = cspmu(args);
      expect(r.status, r.stderr).to.be.above(0);
      expect(oneLineError(r).startsWith(start), oneLineError(r)).to.equal(true);
    });
  }
});
