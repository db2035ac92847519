// CPU hotplug for an uncore PMU: choosing the CPU it counts on, and moving its events and IRQ when that CPU goes down.
import type { Kernel } from '@cspmu/kernel';
import type { PerfCore } from '@cspmu/perf';
import type { ArmCspmu } from './instance.js';

/**
 * CPU hotplug for an uncore PMU: it counts on one associated CPU (its
 * cpumask). A CPU coming online becomes that CPU if there is none; the CPU
 * going down hands its events and the IRQ to another online associated CPU.
 */
export function cspmuCpuOnline(kernel: Kernel, cpu: number, inst: ArmCspmu): void {
  if (!inst.associatedCpus.includes(cpu) || inst.activeCpu >= 0) return;
  inst.activeCpu = cpu;
  if (inst.irq !== 0 && inst.type >= 0) kernel.irqs.setAffinity(inst.irq, cpu);
}

export function cspmuCpuTeardown(kernel: Kernel, perf: PerfCore, cpu: number, inst: ArmCspmu): void {
  if (inst.activeCpu !== cpu) return;
  const dst = inst.associatedCpus.find((c) => c !== cpu && kernel.cpus.isOnline(c));
  inst.activeCpu = -1;
  if (dst === undefined) return;
  if (inst.type >= 0 && perf.pmuByName(inst.name) === inst) perf.migrateContext(inst, cpu, dst);
  inst.activeCpu = dst;
  if (inst.irq !== 0) kernel.irqs.setAffinity(inst.irq, dst);
}
