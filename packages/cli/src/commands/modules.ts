// cspmu modules: the loaded plugin modules, their references and the devices each drives, as lsmod shows them.
import type { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

export function registerModules(program: Command): void {
  withMachineFlags(
    program
      .command('modules')
      .description('loaded plugin modules, their references and the devices each drives (lsmod)')
      .option('--json', 'machine-readable output'),
  ).action(async (opts: MachineFlags & { json?: boolean }) => {
    const m = await bootMachine(opts);
    const bindings = m.driver.bindings();
    const rows = m.modules.list().map((h) => ({
      module: h.name,
      version: h.version,
      package: h.packageName ?? '(built-in)',
      refs: h.refs,
      usedBy: h.users,
      devices: bindings.filter((b) => (b.module ?? 'arm_cspmu') === h.name).map((b) => `${b.device} (${b.pmu})`),
    }));
    const installed = m.modules.installed().map((i) => ({ package: i.packageName, module: i.manifest.module, claims: i.manifest.claims ?? [] }));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ loaded: rows, installed }, null, 2)}\n`);
      return;
    }
    console.log(`${'Module'.padEnd(22)}${'Version'.padEnd(10)}${'Refs'.padEnd(6)}${'Used by'.padEnd(22)}Devices`);
    for (const r of rows) {
      console.log(`${r.module.padEnd(22)}${r.version.padEnd(10)}${String(r.refs).padEnd(6)}${(r.usedBy.join(',') || '-').padEnd(22)}${r.devices.length}`);
      for (const d of r.devices) console.log(`${' '.repeat(60)}${d}`);
    }
    console.log('');
    console.log('Installed plugins:');
    for (const i of installed) console.log(`  ${i.module.padEnd(22)}${i.package.padEnd(26)}claims ${i.claims.map((c) => JSON.stringify(c)).join(' ')}`);
  });
}
