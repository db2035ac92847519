// The Arm Ltd arm_cspmu backend module, which also serves as the fallback for devices no vendor backend claims.
import { defineBackend, defineBackendModule, GENERIC_BACKEND_NAME, IMPL_ID_ARM } from '@cspmu/arm-cspmu';

/** Arm Ltd's own PMUs: the generic driver's behaviour, named and owned by this module. */
export const armBackend = defineBackend({
  name: 'arm_cspmu_arm',
  match: { implementer: IMPL_ID_ARM },
  init: () => ({}),
});

/** Every device no vendor backend claims. */
export const fallbackBackend = defineBackend({
  name: GENERIC_BACKEND_NAME,
  match: 'fallback',
  init: () => ({}),
});

export default defineBackendModule({ name: 'arm_generic_cspmu', backends: [armBackend, fallbackBackend] });
