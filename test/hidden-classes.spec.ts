// Objects and arrays the stack makes again on every boot or rotation replay keep one hidden class, so the code reading them stays monomorphic and V8 need not recompile it.

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
 * on nothing). The attrs the perf tool hands perf_event_open as perf stat
 * opens them must also keep fast properties: `delete` puts an object in
 * dictionary mode (its control).
 */
const CHILD = `
const [, systemUrl, , perfToolUrl] = process.argv;
const { Machine } = await import(systemUrl);
const { openEventList, parseEventList } = await import(perfToolUrl);
const SCF = ['cmem_rd_data', 'cmem_rd_access', 'cmem_wr_data', 'cmem_wr_access', 'cmem_wb_data', 'cmem_wb_access', 'gmem_rd_data', 'gmem_rd_access', 'scf_cache', 'cycles'];
// The first few objects a site makes may still share a class: compare the last two of several.
const lastTwoShare = (xs) => xs.length >= 3 && %HaveSameMap(xs.at(-2), xs.at(-1));
const spreadFirst = (o) => ({ ...o, extra: 1 });
console.log('control', lastTwoShare(Array.from({ length: 20 }, () => spreadFirst({ a: 1 }))));
const deleted = { a: 1, b: 2, c: 3 };
delete deleted.a;
console.log('control-delete', %HasFastProperties(deleted));
const options = [], plans = [], attrs = [];
for (let k = 0; k < 12; k++) {
  const m = await Machine.boot({ platform: 'grace' });
  options.push(m.modules.options);
  // As perf stat opens them: inherited, disabled until every event is open, and (as this uncore PMU refuses
  // exclude_guest) retried without the exclusion bits; the retry is the attr kept.
  let last;
  const open = m.perf.open;
  m.perf.open = function (attr, o) { last = attr; return open.call(this, attr, o); };
  openEventList(m.perf, m.kernel, parseEventList(m.perf, ['nvidia_scf_pmu_0/' + SCF[k % SCF.length] + '/']), { systemWide: true, strict: true });
  m.perf.open = open;
  attrs.push(last);
  // More events than counters, so the context rotates and the closed form replays whole rotation cycles.
  const evs = Array.from({ length: 20 }, (_, i) => m.open('nvidia_scf_pmu_0/' + SCF[i % SCF.length] + '/')[0]);
  const inst = m.driver.instanceByName(evs[0].pmu.name);
  const replay = inst.replayRotations;
  inst.replayRotations = (plan) => { plans.push(plan); return replay(plan); };
  for (let i = 0; i < 3; i++) m.advance(10_000_000_000);
}
console.log('loader-options', lastTwoShare(options));
console.log('replay-plans', lastTwoShare(plans));
console.log('open-attrs', lastTwoShare(attrs) && %HasFastProperties(attrs.at(-1)));
`;

/**
 * V8 11.3's Array.prototype.map gives a packed array from its builtin and a
 * holey one (another hidden class) once TurboFan inlines it into an
 * optimised caller: every optimised reader that saw only the first then
 * deoptimises. This child takes the arrays boot builds for the CPUs, the
 * APMT nodes and the workload's phases, then optimises the
 * function that built them, builds them again, and prints whether they kept
 * their hidden class (with the same control for map() itself).
 */
const ARRAYS_CHILD = `
const [, systemUrl, hwUrl] = process.argv;
const { Machine } = await import(systemUrl);
const { apmtNodesOf, loadWorkload } = await import(hwUrl);
const optimised = (f, call) => { %PrepareFunctionForOptimization(f); call(); call(); %OptimizeFunctionOnNextCall(f); const r = call(); return r; };
const keeps = (f, call) => { const before = call(); const after = optimised(f, call); return %HaveSameMap(before, after); };
const viaMap = (xs) => xs.map((x) => x + 1);
console.log('control', keeps(viaMap, () => viaMap([1, 2, 3])));
const m = await Machine.boot({ platform: 'grace' });
const cpus = m.kernel.cpus;
console.log('cpus-possible', keeps(Object.getPrototypeOf(cpus).possible, () => cpus.possible()));
console.log('apmt-nodes', keeps(apmtNodesOf, () => apmtNodesOf(m.platform)));
const { spec, constructor: Workload } = loadWorkload(m.platform.workload);
console.log('workload-phases', keeps(Workload, () => new Workload(spec).phases));
`;

function childSays(child = CHILD): Record<string, string> {
  const urls = [import.meta.resolve('@cspmu/system'), import.meta.resolve('@cspmu/hw'), import.meta.resolve('@cspmu/perf-tool')];
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', child, ...urls], {
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

  it("share one hidden class from machine to machine: the module loader's options, every rotation replay plan and every attr the perf tool opens", () => {
    const said = childSays();
    expect(said['control'], 'V8 here gives a spread-first literal a hidden class of its own').to.equal('false');
    expect(said['control-delete'], 'V8 here puts an object in dictionary mode on delete').to.equal('false');
    expect(said).to.deep.include({ 'loader-options': 'true', 'replay-plans': 'true', 'open-attrs': 'true' });
  });

  it('arrays boot builds (possible CPUs, APMT nodes, workload phases) keep their hidden class once the code building them is optimised', () => {
    const said = childSays(ARRAYS_CHILD);
    expect(said['control'], "V8 here gives map()'s result another hidden class once its caller is optimised").to.equal('false');
    expect(said).to.deep.include({ 'cpus-possible': 'true', 'apmt-nodes': 'true', 'workload-phases': 'true' });
  });
});
