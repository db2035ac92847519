// The arm_cspmu layer's names and handshakes: container tokens, the core module's name and API version, the generic backend's name, defineBackend.
import { kerr, type ModuleContext, type ModuleDescriptor, type ModuleHandle } from '@cspmu/kernel';
import type { BackendDefinition } from './backend-api.js';

/** Container tokens of the arm-cspmu layer. */
export const ARM_CSPMU_TOKENS = {
  Driver: Symbol.for('cspmu.arm-cspmu.Driver'),
} as const;

/** The core module's name: backends depend on it. */
export const ARM_CSPMU_MODULE = 'arm_cspmu';

/** The plugin API version backends are built against. */
export const ARM_CSPMU_API_VERSION = 1;

/** What bindings report for a device driven by the generic ops (no vendor backend). */
export const GENERIC_BACKEND_NAME = 'arm_cspmu_generic';

/** What a backend module registers its backends with: the driver, as the machine publishes it. */
export interface BackendHost {
  registerBackend(def: BackendDefinition, module: ModuleHandle | undefined): Promise<void>;
  unregisterBackend(name: string): Promise<void>;
  /** Why the backend cannot go now (devices it drives have open events), or undefined. */
  backendBusy(name: string): string | undefined;
}

/** Type-check a backend definition at its source. */
export function defineBackend(def: BackendDefinition): BackendDefinition {
  return def;
}

/**
 * Register a backend from a module's init, on the machine the module is
 * loaded into. It is unregistered automatically when the module exits, and
 * the module cannot be unloaded (EWOULDBLOCK) while a device it drives has open
 * events. The registration is tracked by the module loader: a failure fails
 * the module's load even if the caller did not await it. A plugin package's
 * `"cspmu"` claims in package.json must cover the backend's match (EINVAL
 * otherwise), so the identity the loader acts on before importing the
 * package is the one the code registers.
 */
export function registerBackend(ctx: ModuleContext, def: BackendDefinition): Promise<void> {
  const work = (async () => {
    const host = ctx.get<BackendHost>(ARM_CSPMU_TOKENS.Driver);
    if (!host) throw kerr('ENODEV', 'the arm_cspmu driver is not loaded on this machine');
    await host.registerBackend(def, ctx.module);
    ctx.onCleanup(() => host.unregisterBackend(def.name));
    ctx.refuseUnloadWhile(() => host.backendBusy(def.name));
  })();
  ctx.track(work);
  return work;
}

/**
 * A backend module: one backend, whose name is the module's, or several
 * under one module name. `version` defaults to the plugin package's; a
 * module registered without a package (built in) must give one.
 */
export type BackendModuleSpec = (BackendDefinition | { readonly name: string; readonly backends: readonly BackendDefinition[] }) & {
  readonly version?: string;
};

/**
 * The module descriptor of a backend package (its entry's default export):
 * depends on arm_cspmu, speaks this API version, registers its backends at
 * init and unregisters them at exit.
 *
 * ```ts
 * export default defineBackendModule({ name: 'acme_cspmu', match: { implementer: 0x123 }, init: () => ({}) });
 * ```
 */
export function defineBackendModule(spec: BackendModuleSpec): ModuleDescriptor {
  const backends = 'backends' in spec ? spec.backends : [spec];
  return {
    name: spec.name,
    ...(spec.version === undefined ? { versionFromPackage: true } : { version: spec.version }),
    apiVersion: ARM_CSPMU_API_VERSION,
    depends: [ARM_CSPMU_MODULE],
    async init(ctx) {
      for (const def of backends) await registerBackend(ctx, def);
    },
    exit() {},
  };
}
