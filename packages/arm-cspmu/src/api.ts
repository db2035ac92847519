import { kerr, type ModuleContext } from '@cspmu/kernel';
import type { BackendDefinition } from './backend-api.js';
import type { ArmCspmuDriver } from './driver.js';

/** Container tokens of the arm-cspmu layer. */
export const ARM_CSPMU_TOKENS = {
  Driver: Symbol.for('cspmu.arm-cspmu.Driver'),
} as const;

/** The core module's name: backends depend on it. */
export const ARM_CSPMU_MODULE = 'arm_cspmu';

/** The plugin API version backends are built against. */
export const ARM_CSPMU_API_VERSION = 1;

/** Type-check a backend definition at its source. */
export function defineBackend(def: BackendDefinition): BackendDefinition {
  return def;
}

/**
 * Register a backend from a module's init, on the machine the module is
 * loaded into. It is unregistered automatically when the module exits, and
 * the module cannot be unloaded (EBUSY) while a device it drives has open
 * events. The registration is tracked by the module loader: a failure fails
 * the module's load even if the caller did not await it.
 */
export function registerBackend(ctx: ModuleContext, def: BackendDefinition): Promise<void> {
  const work = (async () => {
    const driver = ctx.get<ArmCspmuDriver>(ARM_CSPMU_TOKENS.Driver);
    if (!driver) throw kerr('ENODEV', 'the arm_cspmu driver is not loaded on this machine');
    await driver.registerBackend(def, ctx.module);
    ctx.onCleanup(() => driver.unregisterBackend(def.name));
    ctx.refuseUnloadWhile(() => driver.backendBusy(def.name));
  })();
  ctx.track(work);
  return work;
}
