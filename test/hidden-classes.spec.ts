// Objects the stack makes again on every boot or rotation replay share one hidden class, so the code reading them stays monomorphic and V8 need not recompile it.

import { spawnSync } from 'node:child_process';
import { expect } from 'chai';

/**
 * In V8 11.3 (Node 20) an object literal that starts with a non-empty spread
 * (`{ ...x, y }`) gets a hidden class of its own on every evaluation: every
 * site that reads such objects turns megamorphic, and optimised code that
 * saw one of them deoptimises on the next ("wrong map"). This child boots
 * twelve machines and prints, with V8's own test intrinsic, whether the last two of each kind share their hidden class, and
 * first whether a spread-first literal still gets a class of its own (the
 * control: if V8 no longer does that, the test says so rather than passing
 * on nothing).
 */
const CHILD = `
const [, systemUrl] = process.argv;
const { Machine } = await import(systemUrl);
const SCF = ['cmem_rd_data', 'cmem_rd_access', 'cmem_wr_data', 'cmem_wr_access', 'cmem_wb_data', 'cmem_wb_access', 'gmem_rd_data', 'gmem_rd_access', 'scf_cache', 'cycles'];
// The first few objects a site makes may still share a class: compare the last two of several.
const lastTwoShare = (xs) => xs.length >= 3 && %HaveSameMap(xs.at(-2), xs.at(-1));
const spreadFirst = (o) => ({ ...o, extra: 1 });
console.log('control', lastTwoShare(Array.from({ length: 20 }, () => spreadFirst({ a: 1 }))));
const options = [], plans = [];
for (let k = 0; k < 12; k++) {
  const m = await Machine.boot({ platform: 'grace' });
  options.push(m.modules.options);
  // More events than counters, so the context rotates and the closed form replays whole rotation cycles.
  const evs = Array.from({ length: 20 }, (_, i) => m.open('nvidia_scf_pmu_0/' + SCF[i % SCF.length] + '/')[0]);
  const inst = m.driver.instanceByName(evs[0].pmu.name);
  const replay = inst.replayRotations;
  inst.replayRotations = (plan) => { plans.push(plan); return replay(plan); };
  for (let i = 0; i < 3; i++) m.advance(10_000_000_000);
}
console.log('loader-options', lastTwoShare(options));
console.log('replay-plans', lastTwoShare(plans));
`;

function childSays(): Record<string, string> {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', CHILD, import.meta.resolve('@cspmu/system')], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).to.equal(0);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
}

describe('Hidden classes of per-boot objects', function () {
  this.timeout(60000);

  it("share one hidden class from machine to machine: the module loader's options and every rotation replay plan", () => {
    const said = childSays();
    expect(said['control'], 'V8 here gives a spread-first literal a hidden class of its own').to.equal('false');
    expect(said).to.deep.include({ 'loader-options': 'true', 'replay-plans': 'true' });
  });
});
