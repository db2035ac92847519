// Test helpers on a Machine: record every MMIO access, and a minimal SCF-like backend module.
import { type BackendDefinition, type BackendOps, defineBackend, registerBackend } from '@cspmu/arm-cspmu';
import type { ModuleDescriptor, ModuleHandle } from '@cspmu/kernel';
import type { IoMem } from '@cspmu/mmio';
import type { Machine } from '@cspmu/system';

export interface Access {
  readonly dev: string;
  readonly off: number;
  readonly width: number;
  readonly write: boolean;
  readonly value: bigint;
}

/** Record every checked MMIO access from now on. */
export function recordAccesses(m: Machine): { log: Access[]; stop: () => void; text: (dev?: string) => string[] } {
  const log: Access[] = [];
  const stop = m.mmio.observe({
    onAccess(io: IoMem, off: number, width: number, write: boolean, lo: number, hi: number) {
      log.push({ dev: io.owner, off, width, write, value: (BigInt(hi) << 32n) | BigInt(lo) });
    },
  });
  const text = (dev?: string) =>
    log
      .filter((a) => dev === undefined || a.dev === dev)
      .map((a) => `${a.write ? 'W' : 'R'}${a.width * 8} 0x${a.off.toString(16)}${a.write ? ` = 0x${a.value.toString(16)}` : ''}`);
  return { log, stop, text };
}

/** A minimal backend module for SCF-like devices of one implementer/product, loaded as a built-in module. */
export function scfBackend(name = 'test_scf_cspmu', ops: BackendOps = {}): BackendDefinition {
  return defineBackend({
    name,
    match: { implementer: 0x36b, product: 0x2cf },
    init: (inst) => ({ getName: () => inst.uniqueName(`test_scf_pmu_${inst.socket}`), ...ops }),
  });
}

export async function loadBuiltinBackend(m: Machine, def: BackendDefinition, moduleName = def.name): Promise<ModuleHandle> {
  const desc: ModuleDescriptor = {
    name: moduleName,
    version: '1.0.0',
    apiVersion: 1,
    depends: ['arm_cspmu'],
    init: (ctx) => registerBackend(ctx, def),
    exit: () => undefined,
  };
  const h = await m.modules.registerBuiltin(desc);
  await m.settle();
  return h;
}

export const MS = 1_000_000;
export const SEC = 1_000_000_000;
