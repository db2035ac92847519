// The resource steps of probe (map the pages, request the IRQ): each acquisition registers its release with the device as it is made.
import { type Device, IRQ_NONE, type IrqController, type IrqReplayReads, type IrqReturn, type Kernel, type KernelLog, kerr } from '@cspmu/kernel';
import type { IoMem, MmioBus } from '@cspmu/mmio';

/** Map page 0 and, if the device has one, page 1 (page 1 is page 0 otherwise); unmapped when the binding goes. */
export function mapPages(dev: Device, mmio: MmioBus, kernel: Kernel): { base0: IoMem; base1: IoMem } {
  const log = kernel.log;
  const r0 = dev.mem(0);
  if (!r0) {
    log.err('arm_cspmu', `${dev.name}: ioremap failed for page-0 resource`);
    throw kerr('EINVAL', `${dev.name} has no page-0 MEM resource`);
  }
  const map = (r: { start: number; end: number }, page: number): IoMem => {
    try {
      const io = mmio.ioremap(r.start, r.end - r.start + 1, dev.name);
      dev.devres.add(`ioremap page ${page}`, () => kernel.calls.run('iounmap', () => mmio.iounmap(io), 'devm_iounmap'));
      return io;
    } catch (e) {
      log.err('arm_cspmu', `${dev.name}: ioremap failed for page-${page} resource`);
      throw e;
    }
  };
  const base0 = map(r0, 0);
  const r1 = dev.mem(1);
  return { base0, base1: r1 ? map(r1, 1) : base0 };
}

/** What handles the device's interrupt once it is bound: the handler, its sleeping rest (when it woke a thread), and the replay of its last delivery k more times. */
export interface IrqTarget {
  handleIrq(): IrqReturn;
  handleIrqThread(): Promise<IrqReturn>;
  replayIrq(k: number, reads?: IrqReplayReads): boolean;
}

/**
 * Request the overflow IRQ, if the device has one (platform_get_irq_optional:
 * none is fine, and gives 0), with a thread for the handler's sleeping rest;
 * freed when the binding goes, which waits for a running thread. Until
 * `boundTo` returns the instance, an interrupt is not ours.
 */
export function requestIrq(dev: Device, irqs: IrqController, log: KernelLog, boundTo: () => IrqTarget | undefined): number {
  const irq = dev.irq(0) ?? 0;
  if (irq === 0) return 0;
  try {
    irqs.request(
      irq,
      () => boundTo()?.handleIrq() ?? IRQ_NONE,
      dev.name,
      (k, reads) => boundTo()?.replayIrq(k, reads) ?? false,
      () => boundTo()?.handleIrqThread() ?? IRQ_NONE,
    );
  } catch (e) {
    log.err('arm_cspmu', `${dev.name}: Could not request IRQ ${irq}`);
    throw e;
  }
  dev.devres.add(`irq ${irq}`, () => irqs.free(irq));
  return irq;
}
