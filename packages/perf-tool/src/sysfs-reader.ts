// What perf reads of the PMUs from /sys/bus/event_source/devices: types, formats, events with their scale and unit, cpumasks.
import { describeValue, kerr, parseCpuList } from '@cspmu/kernel';
import type { PerfCore } from '@cspmu/perf';
import { describeFromSysfs, EventGrammar, type PmuDescription } from './grammar/grammar.js';

const ROOT = '/bus/event_source/devices';

/** Read every PMU's type, format and events from the machine's sysfs, as the perf tool does. */
export function describePmus(core: PerfCore): PmuDescription[] {
  const fs = core.kernel.sysfs;
  return core.pmus().map(({ name, type }) => {
    const dir = `${ROOT}/${name}`;
    const read = (sub: string) => (fs.exists(`${dir}/${sub}`) ? fs.list(`${dir}/${sub}`).map((f): [string, string] => [f, fs.read(`${dir}/${sub}/${f}`)]) : []);
    return describeFromSysfs(name, type, read('format'), read('events'));
  });
}

const grammars = new WeakMap<PerfCore, { key: string; grammar: EventGrammar }>();

/** The grammar over the PMUs registered now; rebuilt from sysfs only when the set of PMUs changed. */
export function grammarOf(core: PerfCore): EventGrammar {
  const key = core
    .pmus()
    .map((p) => `${p.name}:${p.type}`)
    .join(',');
  const cached = grammars.get(core);
  if (cached && cached.key === key) return cached.grammar;
  const grammar = new EventGrammar(describePmus(core));
  grammars.set(core, { key, grammar });
  return grammar;
}

/** events/<name>.scale and .unit of a PMU, if it has them. */
export function eventScaleUnit(core: PerfCore, pmu: string, event: string): { scale: number; unit: string } | undefined {
  if (typeof pmu !== 'string' || typeof event !== 'string')
    throw kerr('EINVAL', `a PMU and an event are named by strings, got ${describeValue(pmu)} and ${describeValue(event)}`);
  const fs = core.kernel.sysfs;
  const base = `${ROOT}/${pmu}/events/${event}`;
  if (!fs.exists(`${base}.scale`) && !fs.exists(`${base}.unit`)) return undefined;
  const scale = fs.exists(`${base}.scale`) ? Number(fs.read(`${base}.scale`).trim()) : 1;
  const unit = fs.exists(`${base}.unit`) ? fs.read(`${base}.unit`).trim() : '';
  return { scale, unit };
}

/** A PMU's cpumask file as a CPU list; undefined when the PMU has none (perf then uses every online CPU). */
export function pmuCpumask(core: PerfCore, pmu: string): number[] | undefined {
  const path = `${ROOT}/${pmu}/cpumask`;
  const fs = core.kernel.sysfs;
  if (pmu === '' || !fs.exists(path)) return undefined;
  const text = fs.read(path).trim();
  return text === '' ? [] : parseCpuList(text);
}
