// Hardening: file inputs are stat'ed and capped, globs match without backtracking, names never resolve through prototypes.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlatform, builtinWorkload } from '@cspmu/hw';
import { compileGlob, readRegularFile, WorkCounter } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';
import { cspmu, oneLineError } from './helpers/cli.js';
import { expectCode } from './helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cspmu-inputs-'));
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
const big = join(dir, 'big.json');
writeFileSync(big, JSON.stringify({ name: 'x', pad: 'y'.repeat(5000) }));
symlinkSync('/dev/zero', join(dir, 'zero.json'));
mkdirSync(join(dir, 'adir.json'));

/** The reference glob semantics: dynamic programming over (pattern, text) prefixes. */
function globReference(p: string, s: string): boolean {
  let row = new Array<boolean>(s.length + 1).fill(false);
  row[0] = true;
  for (const c of p) {
    const next = new Array<boolean>(s.length + 1).fill(false);
    if (c === '*') {
      let any = false;
      for (let j = 0; j <= s.length; j++) next[j] = any ||= row[j]!;
    } else for (let j = 1; j <= s.length; j++) next[j] = row[j - 1]! && (c === '?' || c === s[j - 1]);
    row = next;
  }
  return row[s.length]!;
}

describe('Hardening: file inputs', () => {
  it('readRegularFile refuses a FIFO, a character device, a symlink to /dev/zero and a directory, naming each', () => {
    expectCode(() => readRegularFile(fifo, { what: 'platform file' }), 'EINVAL', `platform file '${fifo}' is a FIFO, not a regular file`);
    expectCode(() => readRegularFile('/dev/zero', { what: 'APMT file' }), 'EINVAL', "'/dev/zero' is a character device");
    expectCode(() => readRegularFile(join(dir, 'zero.json'), { what: 'x' }), 'EINVAL', 'is a character device');
    expectCode(() => readRegularFile(join(dir, 'adir.json'), { what: 'x' }), 'EINVAL', 'is a directory');
    expectCode(() => readRegularFile(join(dir, 'missing'), { what: 'x' }), 'ENOENT');
  });

  it('readRegularFile refuses a file over the cap, says how to raise it, and reads it under a raised cap', () => {
    expectCode(
      () => readRegularFile(big, { what: 'platform file', maxBytes: 1000, raiseWith: '--max-input-bytes' }),
      'EINVAL',
      'bytes, over the 1000-byte cap; raise the cap with --max-input-bytes',
    );
    const work = new WorkCounter();
    expect(readRegularFile(big, { what: 'platform file', maxBytes: 10000, work }).length).to.be.above(5000);
    expect(work.steps).to.equal(2);
  });

  it('a file that grows past the cap while being read is refused (a /proc file stats as 0 bytes)', () => {
    expectCode(
      () => readRegularFile('/proc/self/status', { what: 'status file', maxBytes: 10 }),
      'EINVAL',
      "status file '/proc/self/status' grew past the 10-byte cap while being read",
    );
  });

  it('the CLI refuses a FIFO for --platform, --workload and every apmt subcommand, and /dev/zero, without hanging', function () {
    this.timeout(60000);
    const cases: [string[], string][] = [
      [['stat', '--platform', fifo, '-e', 'x', '--duration', '1ms'], 'is a FIFO'],
      [['list', '--workload', fifo], 'is a FIFO'],
      [['apmt', 'decode', fifo], 'is a FIFO'],
      [['apmt', 'check', '/dev/zero'], 'is a character device'],
      [['apmt', 'build', fifo], 'is a FIFO'],
      [['--max-input-bytes', '100', 'list', '--platform', big], 'over the 100-byte cap; raise the cap with --max-input-bytes'],
    ];
    for (const [args, text] of cases) expect(oneLineError(cspmu(args))).to.contain(text);
  });

  it("built-in names never resolve through the prototype chain ('constructor', '__proto__')", () => {
    for (const n of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expectCode(() => builtinPlatform(n), 'ENOENT', `no built-in platform '${n}'`);
      expectCode(() => builtinWorkload(n), 'ENOENT', `no built-in workload '${n}'`);
    }
  });
});

describe('Hardening: globs without backtracking', () => {
  it("'****************x' against PMU names and trace filters finishes within (|text|+1)(|glob|+1) steps", async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const glob = `${'*'.repeat(16)}x`;
    const mark = m.kernel.clock.work.steps;
    expect(m.grammar().matchPmus(glob)).to.deep.equal([]);
    m.kernel.trace.enable('rwmmio:*');
    for (const tp of m.kernel.trace.list()) if (tp.def.system === 'rwmmio') tp.setFilter(`caller ~ "${glob}"`);
    m.open('nvidia_scf_pmu_0/cycles/');
    m.advance(1000);
    const matcher = compileGlob(glob, m.kernel.clock.work);
    const text = 'a'.repeat(4000);
    expect(matcher.test(text)).to.equal(false);
    // The matcher reports its comparisons to the clock's counter (a RegExp could not: it would hang here instead).
    expect(m.kernel.clock.work.since(mark)).to.be.above(0);
    expect(m.kernel.clock.work.since(mark)).to.be.below(200000);
  });

  it('property: the matcher agrees with the reference and stays within its step budget (seed printed)', () => {
    const seed = Number(process.env['CSPMU_SEED'] ?? 4242);
    console.log(`      glob property seed ${seed}`);
    const alpha = fc.constantFrom('a', 'b', '*', '?', '.', '(', '+', '\\', '[');
    fc.assert(
      fc.property(fc.string({ unit: alpha, maxLength: 24 }), fc.string({ unit: fc.constantFrom('a', 'b', '.', '(', '+'), maxLength: 60 }), (p, s) => {
        const work = new WorkCounter();
        expect(compileGlob(p, work).test(s)).to.equal(globReference(p, s));
        expect(work.steps).to.be.at.most((s.length + 1) * (p.length + 1) + 1);
      }),
      { seed, numRuns: 3000 },
    );
  });
});
