// The error of a refused MMIO access (unmapped, out of range, misaligned, wrong width, use after unmap).
import { KernelError } from '@cspmu/kernel';

export type BusErrorKind = 'unmapped' | 'out-of-range' | 'misaligned' | 'wrong-width' | 'use-after-unmap';

/** A refused MMIO access. The device was not touched. */
export class BusError extends KernelError {
  constructor(
    readonly kind: BusErrorKind,
    readonly phys: number,
    readonly width: number,
    message: string,
  ) {
    super(kind === 'use-after-unmap' ? 'EFAULT' : 'EIO', message);
    this.name = 'BusError';
  }
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
