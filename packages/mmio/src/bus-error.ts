// The error of a refused MMIO access (unmapped, out of range, misaligned, wrong width, use after unmap).
import { describeValue, KernelError } from '@cspmu/kernel';

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

/** A number in hex for a message; anything else (a caller's bad argument) described without converting it. */
export function hex(n: number): string {
  return typeof n === 'number' ? `0x${n.toString(16)}` : describeValue(n);
}
