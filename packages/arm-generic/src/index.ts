import { ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE, defineBackend, IMPL_ID_ARM, registerBackend } from '@cspmu/arm-cspmu';
import type { ModuleDescriptor } from '@cspmu/kernel';

/** Arm Ltd's own PMUs: the generic driver's behaviour, named and owned by this module. */
export const armBackend = defineBackend({
  name: 'arm_cspmu_arm',
  match: { implementer: IMPL_ID_ARM },
  init: () => ({}),
});

/** Every device no vendor backend claims. */
export const fallbackBackend = defineBackend({
  name: 'arm_cspmu_generic',
  match: 'fallback',
  init: () => ({}),
});

const module: ModuleDescriptor = {
  name: 'arm_generic_cspmu',
  version: '0.1.0',
  apiVersion: ARM_CSPMU_API_VERSION,
  depends: [ARM_CSPMU_MODULE],
  async init(ctx) {
    await registerBackend(ctx, armBackend);
    await registerBackend(ctx, fallbackBackend);
  },
  exit() {},
};

export default module;
