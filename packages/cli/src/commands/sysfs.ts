// cspmu sysfs export: write the PMUs as a perf-compatible /sys/bus/event_source/devices tree.
import type { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

export function registerSysfs(program: Command): void {
  const sysfs = program.command('sysfs').description('the PMUs as /sys/bus/event_source/devices');
  withMachineFlags(
    sysfs
      .command('export')
      .description('write the perf-compatible tree to DIR (bind-mount it over /sys/bus/event_source/devices for the real perf)')
      .argument('<dir>', 'target directory'),
  ).action(async (dir: string, opts: MachineFlags) => {
    const m = await bootMachine(opts);
    const files = await m.perf.exportSysfs(dir);
    console.log(`exported ${files} files for ${m.perf.pmus().length} PMUs to ${dir}`);
    console.log(`try: sudo unshare -m sh -c 'mount --bind ${dir} /sys/bus/event_source/devices && perf list pmu'`);
  });
}
