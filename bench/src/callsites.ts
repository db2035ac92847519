// callsite_ops: a read path of 101 call sites, every one traced, with per-site ops (each site its own tracer) against list dispatch (one list walked on every call).
import type { CallSite, SiteTracer } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { do_not_optimize } from 'mitata';
import { ns, type Probe } from './micro.js';

/** Sites on the read path besides pmu->read. */
export const OTHER_SITES = 100;

const describe = (): [string, number] => ['bench', -1];
function step(this: unknown, a: number, b: number): number {
  return a + b;
}

/** A tracer that counts the calls it sees. */
function counter(name: string): SiteTracer & { seen: number } {
  const t = { name, seen: 0, onCall: () => void t.seen++ };
  return t;
}

/**
 * One machine whose read path calls OTHER_SITES bench sites and then perf's
 * read (the pmu->read site): every site traced, either each by its own
 * tracer in its own slot, or all through one list tracer that, as ftrace's
 * list ops, walks every registered (site, tracer) pair on every call.
 */
async function readPathMachine(dispatch: 'per-site' | 'list'): Promise<{ read: () => number; calls: () => number }> {
  const m = await Machine.boot({ platform: 'grace' });
  const [e] = m.open('nvidia_scf_pmu_0/cycles/');
  m.advance(1_000_000);
  const cs = m.kernel.callSites;
  const sites: CallSite[] = [];
  for (let i = 0; i < OTHER_SITES; i++) sites.push(cs.site(`bench:read_path_${i}`, describe));
  const names = [...sites.map((s) => s.name), 'pmu->read'];
  const tracers = names.map((n) => counter(n));
  if (dispatch === 'per-site') for (const [i, n] of names.entries()) cs.attach(n, tracers[i]!);
  else {
    const registered = names.map((n, i): [string, SiteTracer] => [n, tracers[i]!]);
    const list: SiteTracer = {
      name: 'list_ops',
      onCall(site, target, id, dur, res, err) {
        for (const [name, t] of registered) if (name === site.name) t.onCall(site, target, id, dur, res, err);
      },
    };
    for (const n of names) cs.attach(n, list);
  }
  const read = () => {
    let x = 0;
    for (const s of sites) x = s.invoke(null, step, x, 1);
    return x + m.perf.readCount(e!);
  };
  return { read, calls: () => tracers.reduce((n, t) => n + t.seen, 0) };
}

/** Probes for one read path (101 traced calls) with per-site ops and with list dispatch. */
export async function callsiteOps(): Promise<{ perSite: Probe; list: Probe }> {
  const perSite = await readPathMachine('per-site');
  const list = await readPathMachine('list');
  // Every site's tracer must see its call under both dispatches, or the comparison is of different work.
  for (const p of [perSite, list]) {
    const before = p.calls();
    p.read();
    if (p.calls() - before !== OTHER_SITES + 1) throw new Error(`callsite_ops: ${p.calls() - before} traced calls per read, expected ${OTHER_SITES + 1}`);
  }
  return { perSite: () => ns(() => do_not_optimize(perSite.read())), list: () => ns(() => do_not_optimize(list.read())) };
}
