import { ARM_CSPMU_API_VERSION, ARM_CSPMU_MODULE, registerBackend } from '@cspmu/arm-cspmu';
import type { ModuleDescriptor } from '@cspmu/kernel';
import { nvidiaBackend } from './backend.js';

export * from './events.js';
export * from './products.js';
export { nvidiaBackend } from './backend.js';

const module: ModuleDescriptor = {
  name: 'nvidia_cspmu',
  version: '0.1.0',
  apiVersion: ARM_CSPMU_API_VERSION,
  depends: [ARM_CSPMU_MODULE],
  init: (ctx) => registerBackend(ctx, nvidiaBackend()),
  exit() {},
};

export default module;
