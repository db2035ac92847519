// cspmu machine: the booted platform's devices, bases, PMIIDRs, bound backends and PMU names.
import type { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

export function registerMachine(program: Command): void {
  withMachineFlags(
    program.command('machine').description('the booted platform: devices, bases, PMIIDR, bound backend, PMU names').option('--json', 'machine-readable output'),
  ).action(async (opts: MachineFlags & { json?: boolean }) => {
    const m = await bootMachine(opts);
    const hex = (n: number) => `0x${n.toString(16)}`;
    const devices = m.platform.pmus.map((d) => {
      const dev = m.deviceOfNode(d.id);
      const inst = dev ? m.driver.instances.get(dev) : undefined;
      return {
        device: dev?.name ?? `arm-cs-arch-pmu.${d.id} (not created)`,
        label: d.label,
        type: d.type,
        base0: hex(d.base0),
        base1: d.dualPage ? hex(d.base1) : null,
        irq: d.irq ? `${d.irq.gsi} ${d.irq.trigger}` : null,
        pmiidr: inst ? hex(inst.pmiidr) : null,
        counters: d.counters,
        counterBits: d.counterBits,
        backend: inst ? inst.backendName : null,
        pmu: inst?.name ?? null,
        state: inst ? 'bound' : dev && m.bus.isDeferred(dev) ? 'deferred' : 'unbound',
      };
    });
    if (opts.json) {
      const model = { kernelVersion: m.kernelVersion, proposed: [...m.profile.proposed] };
      process.stdout.write(
        `${JSON.stringify({ platform: m.platform.name, description: m.platform.description, ...model, cpus: m.kernel.cpus.count, workload: m.hardware.workload.name, devices }, null, 2)}\n`,
      );
      return;
    }
    console.log(`${m.platform.name}: ${m.platform.description}`);
    console.log(`${m.kernel.cpus.count} CPUs, workload ${m.hardware.workload.name}`);
    console.log(m.describeModel());
    console.log('');
    console.log(
      `${'Device'.padEnd(26)}${'Label'.padEnd(16)}${'Base0'.padEnd(16)}${'IRQ'.padEnd(11)}${'PMIIDR'.padEnd(12)}${'Ctrs'.padEnd(8)}${'Backend'.padEnd(22)}PMU`,
    );
    for (const d of devices) {
      console.log(
        `${d.device.padEnd(26)}${d.label.padEnd(16)}${d.base0.padEnd(16)}${(d.irq ?? '-').padEnd(11)}${(d.pmiidr ?? '-').padEnd(12)}${`${d.counters}x${d.counterBits}`.padEnd(8)}${(d.backend ?? d.state).padEnd(22)}${d.pmu ?? '-'}`,
      );
    }
  });
}
