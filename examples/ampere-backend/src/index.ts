import { ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE, registerBackend } from '@cspmu/arm-cspmu';
import { ampereBackend } from './backend.js';
import type { ModuleDescriptor } from './kernel-types.js';

export { ampereBackend, filterOf } from './backend.js';
export { MCU_EVENTS } from './events.js';

const module: ModuleDescriptor = {
  name: 'ampere_cspmu',
  version: '0.1.0',
  apiVersion: ARM_CSPMU_API_VERSION,
  depends: [ARM_CSPMU_MODULE],
  init: (ctx) => registerBackend(ctx, ampereBackend()),
  exit() {},
};

export default module;
