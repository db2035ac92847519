import type { PerfCore } from './core.js';
import { describeFromSysfs, type PmuDescription } from './grammar.js';

const ROOT = '/bus/event_source/devices';

/** Read every PMU's type, format and events from the machine's sysfs, as the perf tool does. */
export function describePmus(core: PerfCore): PmuDescription[] {
  const fs = core.kernel.sysfs;
  return core.pmus().map(({ name, type }) => {
    const dir = `${ROOT}/${name}`;
    const read = (sub: string) =>
      fs.exists(`${dir}/${sub}`) ? fs.list(`${dir}/${sub}`).map((f): [string, string] => [f, fs.read(`${dir}/${sub}/${f}`)]) : [];
    return describeFromSysfs(name, type, read('format'), read('events'));
  });
}

/** events/<name>.scale and .unit of a PMU, if it has them. */
export function eventScaleUnit(core: PerfCore, pmu: string, event: string): { scale: number; unit: string } | undefined {
  const fs = core.kernel.sysfs;
  const base = `${ROOT}/${pmu}/events/${event}`;
  if (!fs.exists(`${base}.scale`) && !fs.exists(`${base}.unit`)) return undefined;
  const scale = fs.exists(`${base}.scale`) ? Number(fs.read(`${base}.scale`).trim()) : 1;
  const unit = fs.exists(`${base}.unit`) ? fs.read(`${base}.unit`).trim() : '';
  return { scale, unit };
}
