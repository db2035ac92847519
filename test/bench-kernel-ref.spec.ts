// The kernel reference program (bench/native/perf-syscall-ref.c): it refuses bad arguments, takes an untimed warm-up, and prints one positive mean per run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT } from './helpers/cli.js';

describe('bench kernel reference: perf-syscall-ref.c', function () {
  this.timeout(60000);
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  const bin = join(mkdtempSync(join(tmpdir(), 'perf-ref-test-')), 'perf-syscall-ref');
  const built = cc ? spawnSync(cc, ['-O2', '-o', bin, join(ROOT, 'bench', 'native', 'perf-syscall-ref.c')], { encoding: 'utf8' }) : undefined;
  const run = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8', timeout: 30000 });

  it('refuses a mode, count or warm-up it cannot run, with its usage', function () {
    if (!cc) {
      console.log('      skipped: no C compiler');
      this.skip();
    }
    expect(built?.status, built?.stderr).to.equal(0);
    for (const args of [
      [],
      ['write', '10'],
      ['read', '0'],
      ['open-close', '-5'],
      ['read', '10', '-1'],
      ['read', '10', '1', '2'],
      ['read', '10x'],
      ['read', '10', 'abc'],
      ['read', '10', '5x'],
      ['read', ''],
    ]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.contain('usage: ').and.contain('read|open-close ITERATIONS [WARM-UP]');
    }
  });

  it('times the iterations after an untimed warm-up, and prints their mean in ns', function () {
    const why = !cc ? 'no C compiler' : run('read', '1').status !== 0 ? `perf_event_open not permitted: ${run('read', '1').stderr.trim()}` : '';
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    for (const args of [
      ['read', '1000'],
      ['read', '1000', '2000'],
      ['open-close', '200', '400'],
    ]) {
      const r = run(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
      expect(r.stdout, args.join(' ')).to.match(/^\d+\.\d\d\n$/);
      expect(Number(r.stdout), args.join(' ')).to.be.greaterThan(0);
    }
  });
});
