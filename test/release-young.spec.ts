// A released machine dies in a young collection: bytes a scavenge promotes after a machine is dropped, released or not, and the release's refusals.

import { spawnSync } from 'node:child_process';
import { createKernelContainer, releaseKernelContainer, TOKENS } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { lifecycleProperty } from '@cspmu/testkit';
import { expect } from 'chai';
import fc from 'fast-check';

/**
 * Boots `warm` machines to warm V8 up, then `count` more; after dropping each
 * (released or not) it forces two young collections, which promote whatever
 * survives both, and prints the bytes they promoted. Nothing else runs in
 * that process, and no full collection happens in between, so what is
 * promoted is what something in the old generation kept alive.
 */
const CHILD = `
const [, systemUrl, arm, warm, count] = process.argv;
const { Machine } = await import(systemUrl);
const boot = () => Machine.boot({ platform: 'arm-generic', installed: [] });
for (let i = 0; i < Number(warm); i++) { const m = await boot(); if (arm === 'release') m.release(); }
gc();
for (let i = 0; i < Number(count); i++) {
  let m = await boot();
  if (arm === 'release') m.release();
  m = undefined;
  await new Promise((r) => setImmediate(r));
  console.log('dropped');
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  console.log('collected');
}
`;

/** Bytes promoted by the two young collections after each dropped machine, as --trace-gc-nvp reports them. */
function promotedPerMachine(arm: 'release' | 'keep', warm: number, count: number): number[] {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--trace-gc-nvp', '--input-type=module', '-e', CHILD, import.meta.resolve('@cspmu/system'), arm, String(warm), String(count)],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  expect(r.status, r.stderr).to.equal(0);
  const out: number[] = [];
  let sum: number | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line === 'dropped') sum = 0;
    else if (line === 'collected') {
      out.push(sum!);
      sum = undefined;
    } else if (sum !== undefined && /\bgc=s\b/.test(line)) sum += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? Number.NaN);
  }
  expect(out).to.have.length(count);
  return out;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('Releasing a machine', function () {
  this.timeout(60000);

  it('lets a dropped machine die in a young collection, where an unreleased one is promoted whole', () => {
    const released = promotedPerMachine('release', 30, 9);
    const kept = promotedPerMachine('keep', 30, 5);
    // Inversify's old-generation parts keep an unreleased machine's ~130 KB alive through every scavenge.
    expect(median(kept), `kept: ${kept.join(' ')}`).to.be.above(100 * 1024);
    expect(median(released), `released: ${released.join(' ')}`).to.be.below(32 * 1024);
  });

  it('forgets the services, so a module loaded afterwards finds none (ENOENT), and a second release does nothing', async () => {
    // Blacklisted, the backend is not loaded at boot: the load below is its first.
    const m = await Machine.boot({ platform: 'arm-generic', installed: ['@cspmu/arm-generic'], blacklist: ['@cspmu/arm-generic'] });
    expect(m.modules.list().map((x) => x.name)).to.not.include('arm_generic_cspmu');
    m.release();
    m.release();
    expect(m.container.isBound(TOKENS.Kernel)).to.equal(false);
    const err = await m.load('@cspmu/arm-generic').catch((e: unknown) => e);
    expect(err).to.include({ code: 'ENOENT' });
    expect((err as Error).message).to.match(/no service .* on this machine/);
  });

  it('refuses a container that createKernelContainer did not make (EINVAL), and releases one it did', () => {
    expect(() => releaseKernelContainer({} as Parameters<typeof releaseKernelContainer>[0]))
      .to.throw(/createKernelContainer/)
      .with.property('code', 'EINVAL');
    expect(() => releaseKernelContainer(undefined as unknown as Parameters<typeof releaseKernelContainer>[0]))
      .to.throw(/got undefined/)
      .with.property('code', 'EINVAL');
    const c = createKernelContainer();
    releaseKernelContainer(c);
    expect(c.isBound(TOKENS.Kernel)).to.equal(false);
  });

  it('refuses (EBUSY) a container whose owner restored its empty snapshot away, and leaves it unreleased', () => {
    const c = createKernelContainer();
    c.restore();
    expect(() => releaseKernelContainer(c))
      .to.throw(/empty snapshot could not be restored/)
      .with.property('code', 'EBUSY');
    expect(() => releaseKernelContainer(c), 'not marked released by the failed attempt').to.throw(/empty snapshot/);
  });

  it('is what a passed fuzz run does with its machine, once its checks are done', async () => {
    const machines: Machine[] = [];
    const property = lifecycleProperty({ maxSteps: 6, machine: { beforeDrivers: (m) => void machines.push(m) } });
    const r = await fc.check(property, { numRuns: 4, seed: 20261123 });
    expect(r.failed, fc.defaultReportMessage(r)).to.equal(false);
    expect(machines).to.have.length(4);
    for (const m of machines) expect(m.container.isBound(TOKENS.Kernel)).to.equal(false);
  });
});
