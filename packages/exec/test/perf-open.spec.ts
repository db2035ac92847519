// Tests that a program calling perf_event_open directly through the preload library sees what it sees on a kernel PMU, under each paranoid level.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { NATIVE } from '../src/index.js';
import { execUnavailable, run, skipUnless, withSession } from './helpers.js';

const SCF1 = '$(cat /sys/bus/event_source/devices/nvidia_scf_pmu_1/type)';
const CYCLES = '0x100000000';
const CMEM_RD = '0x1a5';

/** Run the check program in the session as a shell command (so it can read the exported types). */
const sh = (text: string) => ['sh', '-c', text];
const asNobody = (text: string) => ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', text];

/** Why user nobody cannot load the preload library or run the check program (a checkout inside a private directory), or undefined. */
function nobodyUnavailable(): string | undefined {
  const [command, ...args] = asNobody(`test -r ${NATIVE.preload} && test -x ${NATIVE.perfOpenCheck}`);
  if (spawnSync(command!, args).status === 0) return undefined;
  return `user nobody cannot reach ${NATIVE.preload}: the checkout sits under a directory other users cannot enter (mktemp -d makes one); clone it somewhere world-readable to run this test`;
}

describe('perf_event_open through the preload library', function () {
  this.timeout(30_000);

  it('a program calling perf_event_open directly (groups, ioctls, dup, fork, close_range, poll, mmap, prctl) sees what it sees on a kernel PMU', async function () {
    skipUnless(this, execUnavailable(false));
    const kernel = spawnSync(NATIVE.perfOpenCheck, ['1', '0', '1', '0'], { encoding: 'utf8' }); // cpu-clock led group with task-clock, on the host kernel
    if (kernel.status !== 0) skipUnless(this, `the host kernel refuses software perf events: ${kernel.stdout}${kernel.stderr}`);
    await withSession('virtual', async (s) => {
      const emulated = await run(s, sh(`exec ${NATIVE.perfOpenCheck} ${SCF1} ${CYCLES} ${CMEM_RD} 72`));
      expect(emulated.status, emulated.stderr).to.equal(0);
      expect(emulated.stdout).to.equal(kernel.stdout);
      expect(emulated.stdout).to.contain('group read: 56 bytes, nr 2, ids match 1, counted 1');
      expect(emulated.stdout).to.contain('fork child reads the same: 1');
      expect(emulated.stdout).to.contain('read after close_range: EBADF');
      expect(await s.server.until((n) => n === 0)).to.equal(0); // the sockets close as the program exits
    });
  });

  it('paranoid 2: an unprivileged user gets EACCES for a system-wide event; root (CAP_PERFMON) does not', async function () {
    skipUnless(this, execUnavailable(false) ?? nobodyUnavailable());
    await withSession(
      'virtual',
      async (s) => {
        const nobody = await run(s, asNobody(`exec ${NATIVE.perfOpenCheck} open ${SCF1} ${CYCLES} 72`));
        expect(nobody.stdout + nobody.stderr).to.equal('open: EACCES\n');
        const root = await run(s, sh(`exec ${NATIVE.perfOpenCheck} open ${SCF1} ${CYCLES} 72`));
        expect(root.stdout).to.equal('open: ok\n');
      },
      { paranoid: 2 },
    );
  });

  it('paranoid 0: the same unprivileged user may open it', async function () {
    skipUnless(this, execUnavailable(false) ?? nobodyUnavailable());
    await withSession(
      'virtual',
      async (s) => {
        const nobody = await run(s, asNobody(`exec ${NATIVE.perfOpenCheck} open ${SCF1} ${CYCLES} 72`));
        expect(nobody.stdout + nobody.stderr).to.equal('open: ok\n');
      },
      { paranoid: 0 },
    );
  });

  it('capabilities held only inside a user namespace do not count: an unprivileged user who is root in its own namespace still gets EACCES', async function () {
    skipUnless(this, execUnavailable(false) ?? nobodyUnavailable());
    await withSession(
      'virtual',
      async (s) => {
        const probe = await run(s, asNobody('exec unshare -U -r true'));
        if (probe.status !== 0) skipUnless(this, `unprivileged user namespaces are not allowed here: ${probe.stderr.trim()}`);
        const inNs = await run(s, asNobody(`exec unshare -U -r sh -c 'grep CapEff /proc/self/status; exec ${NATIVE.perfOpenCheck} open ${SCF1} ${CYCLES} 72'`));
        const capEff = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(inNs.stdout)![1]}`);
        expect((capEff >> 38n) & 1n, 'CAP_PERFMON inside the namespace').to.equal(1n);
        expect(inNs.stdout).to.contain('open: EACCES\n');
      },
      { paranoid: 2 },
    );
  });
});
