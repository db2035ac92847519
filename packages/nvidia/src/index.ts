// The NVIDIA arm_cspmu backend module: its entry's default export is the module descriptor the loader imports.
import { defineBackendModule } from '@cspmu/arm-cspmu';
import { nvidiaBackend } from './backend.js';

export { NVIDIA_IMPLEMENTER, nvidiaBackend } from './backend.js';
export * from './events.js';
export * from './products.js';

export default defineBackendModule(nvidiaBackend);
