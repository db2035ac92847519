// cspmu list: the PMUs with their events, formats and units, in our layout, perf list's, or JSON.

import { kerr } from '@cspmu/kernel';
import { grammarOf } from '@cspmu/perf-tool';
import type { Machine } from '@cspmu/system';
import type { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { perfListMatcher } from '../list-glob.js';
import { colours } from '../util.js';
import { withMachineFlags } from './machine-flags.js';

export interface PmuListing {
  name: string;
  type: number;
  backend: string;
  identifier: string;
  cpumask: string;
  associatedCpus: string;
  formats: Record<string, string>;
  events: { name: string; encoding: string; scale?: number; unit?: string; description?: string }[];
}

export function listPmus(m: Machine, glob: string | undefined): PmuListing[] {
  const fs = m.kernel.sysfs;
  const names =
    glob === undefined
      ? m.perf
          .pmus()
          .filter((p) => !p.pmu.software)
          .map((p) => p.name)
      : grammarOf(m.perf)
          .matchPmus(glob)
          .map((p) => p.name);
  return names.map((name) => {
    const dir = `/bus/event_source/devices/${name}`;
    const read = (f: string) => (fs.exists(`${dir}/${f}`) ? fs.read(`${dir}/${f}`).trim() : '');
    const inst = m.driver.instanceByName(name);
    const specs = inst ? inst.ops.getEventAttrs(inst) : [];
    const events = (fs.exists(`${dir}/events`) ? fs.list(`${dir}/events`) : [])
      .filter((e) => !e.endsWith('.scale') && !e.endsWith('.unit'))
      .map((e) => {
        const su = m.eventScaleUnit(name, e);
        const scale = su?.scale === undefined || su.unit === '' ? '' : String(su.scale);
        const unit = su?.unit ?? '';
        const description = specs.find((s) => s.name === e)?.description;
        return {
          name: e,
          encoding: read(`events/${e}`),
          ...(scale ? { scale: Number(scale) } : {}),
          ...(unit ? { unit } : {}),
          ...(description ? { description } : {}),
        };
      });
    const formats: Record<string, string> = {};
    for (const f of fs.exists(`${dir}/format`) ? fs.list(`${dir}/format`) : []) formats[f] = read(`format/${f}`);
    return {
      name,
      type: Number(read('type')),
      backend: m.driver.bindings().find((b) => b.pmu === name)?.backend ?? '',
      identifier: read('identifier'),
      cpumask: read('cpumask'),
      associatedCpus: read('associated_cpus'),
      formats,
      events,
    };
  });
}

/** perf list's Kernel PMU event lines: `  %-50s [Kernel PMU event]`, sorted by name; with a glob, the events perf list GLOB shows. */
export function perfListLines(pmus: readonly PmuListing[], glob?: string): string[] {
  const keep = glob === undefined ? () => true : perfListMatcher(glob);
  const names = pmus.flatMap((p) => p.events.filter((e) => keep(p.name, e.name)).map((e) => `${p.name}/${e.name}/`)).sort();
  return names.map((n) => `  ${n.padEnd(50)} [Kernel PMU event]`);
}

export function registerList(program: Command): void {
  withMachineFlags(
    program
      .command('list')
      .description('list PMUs with their events, formats and units (perf list)')
      .argument('[pmu-glob]', 'a PMU name, prefix (nvidia_scf_pmu) or glob (nvidia_*_0); with --perf, an event glob as perf list takes it')
      .option('--json', 'machine-readable output')
      .option('--perf', "perf list's layout: one `pmu/event/  [Kernel PMU event]` line per event, sorted"),
  ).action(async (glob: string | undefined, opts: MachineFlags & { json?: boolean; perf?: boolean }) => {
    const m = await bootMachine(opts);
    if (opts.perf) {
      // As perf list: the glob selects events, not PMUs, and a glob that selects none prints nothing.
      process.stdout.write(
        perfListLines(listPmus(m, undefined), glob)
          .map((l) => `${l}\n`)
          .join(''),
      );
      return;
    }
    const pmus = listPmus(m, glob);
    if (glob !== undefined && pmus.length === 0) throw kerr('ENOENT', `no PMU matches '${glob}'; try cspmu list`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(pmus, null, 2)}\n`);
      return;
    }
    const c = colours(process.stdout);
    console.log(c.dim(`# ${m.describeModel()}`));
    for (const p of pmus) {
      console.log(
        `${c.bold(p.name)} ${c.dim(`(type ${p.type}, ${p.backend}, identifier ${p.identifier}, cpumask ${p.cpumask}, associated_cpus ${p.associatedCpus})`)}`,
      );
      console.log(
        `  format: ${Object.entries(p.formats)
          .map(([k, v]) => `${k}=${v}`)
          .join('  ')}`,
      );
      for (const e of p.events) {
        const unit = e.unit ? c.cyan(` [${e.scale ?? 1} ${e.unit}]`) : '';
        const desc = e.description ? c.dim(`  ${e.description}`) : '';
        console.log(`  ${`${p.name}/${e.name}/`.padEnd(52)} ${e.encoding}${unit}${desc}`);
      }
      console.log('');
    }
  });
}
