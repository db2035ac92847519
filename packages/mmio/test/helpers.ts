// Test helper: a bus with one register bank mapped on it.
import { createKernel } from '@cspmu/kernel';
import { MmioBus, RegisterBank, type RegisterSpec } from '../src/index.js';

export function busWith(specs: RegisterSpec[], base = 0x10000, context?: unknown) {
  const { kernel } = createKernel();
  const bus = new MmioBus(kernel);
  const bank = new RegisterBank('dev', 0x1000, specs, context);
  bus.map.map(base, 0x1000, bank, 'dev0');
  const io = bus.ioremap(base, 0x1000, 'dev0');
  return { kernel, bus, bank, io };
}
