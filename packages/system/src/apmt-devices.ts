// Devices from the firmware's APMT at boot (acpi_apmt_init): one platform device per node, with its MMIO pages and overflow interrupt.
import type { ApmtInfo } from '@cspmu/arm-cspmu';
import { APMT_FLAG_DUAL_PAGE, APMT_IRQ_MODE_EDGE, type ApmtTable } from '@cspmu/hw';
import type { Kernel, KernelVersion, PlatformBus, Resource } from '@cspmu/kernel';

/** The platform driver's name: each APMT node's device is `arm-cs-arch-pmu.<id>` or `arm-cs-arch-pmu.<k>.auto`. */
export const PLATFORM_DRIVER_DEVICE = 'arm-cs-arch-pmu';

/**
 * acpi_apmt_init: one platform device per node, `arm-cs-arch-pmu.<id>` (7.3)
 * or `arm-cs-arch-pmu.<k>.auto` (6.12), with its MEM and IRQ resources. As
 * in the kernel, the first node whose pages are already claimed (EBUSY) or
 * whose device name exists (EEXIST) ends the walk: later nodes get no device.
 */
export async function createApmtDevices(kernel: Kernel, bus: PlatformBus, apmt: ApmtTable, kernelVersion: KernelVersion): Promise<void> {
  const log = kernel.log;
  const claimed = new Map<number, { start: number; end: number }[]>();
  const overlapping = (r: { start: number; end: number }) => {
    for (let page = Math.floor(r.start / 0x1000) - 1; page <= Math.floor(r.end / 0x1000); page++) {
      for (const c of claimed.get(page) ?? []) if (c.start <= r.end && r.start <= c.end) return true;
    }
    return false;
  };
  const claim = (r: { start: number; end: number }) => {
    const page = Math.floor(r.start / 0x1000);
    claimed.set(page, [...(claimed.get(page) ?? []), r]);
  };
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  for (const node of apmt.nodes) {
    const mems: { type: 'mem'; start: number; end: number }[] = [{ type: 'mem', start: node.baseAddress0, end: node.baseAddress0 + 0xfff }];
    if (node.flags & APMT_FLAG_DUAL_PAGE) mems.push({ type: 'mem', start: node.baseAddress1, end: node.baseAddress1 + 0xfff });
    const id = node.id & 0x7fffffff;
    if (id !== node.id) log.warn('ACPI', `APMT: Unexpectedly large UID 0x${node.id.toString(16)}, truncated to 0x${id.toString(16)}`);
    const devName = kernelVersion === '6.12' ? bus.nextAutoName(PLATFORM_DRIVER_DEVICE) : `${PLATFORM_DRIVER_DEVICE}.${id}`;
    const busy = mems.findIndex((r, i) => overlapping(r) || mems.slice(0, i).some((o) => o.start <= r.end && r.start <= o.end));
    if (busy >= 0) {
      log.err(PLATFORM_DRIVER_DEVICE, `${devName}: failed to claim resource ${busy}: [mem ${hex(mems[busy]!.start)}-${hex(mems[busy]!.end)}]`);
      log.err('ACPI', 'APMT: Failed to initialize APMT platform devices, ret: -16');
      return;
    }
    if (kernelVersion !== '6.12' && bus.device(`${PLATFORM_DRIVER_DEVICE}.${id}`)) {
      log.err('sysfs', `cannot create duplicate filename '/devices/platform/${PLATFORM_DRIVER_DEVICE}.${id}'`);
      log.err('ACPI', 'APMT: Failed to initialize APMT platform devices, ret: -17');
      return;
    }
    const resources: Resource[] = [...mems];
    if (node.ovflwIrq !== 0) {
      try {
        const irq = kernel.irqs.registerLine(node.ovflwIrq, node.ovflwIrqFlags & APMT_IRQ_MODE_EDGE ? 'edge' : 'level');
        resources.push({ type: 'irq', irq });
      } catch (e) {
        log.warn('ACPI', `APMT: APMT could not register gsi hwirq ${node.ovflwIrq}: ${(e as Error).message}`);
      }
    }
    const info: ApmtInfo = {
      type: node.type,
      id: node.id,
      flags: node.flags,
      instPrimary: node.instPrimary,
      instSecondary: node.instSecondary,
      procAffinity: node.procAffinity,
      implId: node.implId,
    };
    for (const r of mems) claim(r);
    await bus.addDevice(PLATFORM_DRIVER_DEVICE, kernelVersion === '6.12' ? 'auto' : id, resources, info);
  }
}
