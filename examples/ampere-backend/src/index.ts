// The AmpereOne arm_cspmu backend module, written only against @cspmu/arm-cspmu's public entry.
import { defineBackendModule } from '@cspmu/arm-cspmu';
import { ampereBackend } from './backend.js';

export { AMPERE_IMPLEMENTER, ampereBackend, filterOf } from './backend.js';
export { MCU_EVENTS } from './events.js';

export default defineBackendModule(ampereBackend);
