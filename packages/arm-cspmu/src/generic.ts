// The generic driver's format files (7.3 and 6.12) and the cycles event every PMU with a cycle counter lists.
import type { EventAttrSpec, FormatAttrSpec } from './backend-api.js';
import { CYCLES_EVENT } from './regs.js';

/** The generic formats of Linux 7.3: event config:0-32, filter config1:0-31, filter2 config2:0-31. */
export const GENERIC_FORMATS: readonly FormatAttrSpec[] = [
  { name: 'event', format: 'config:0-32' },
  { name: 'filter', format: 'config1:0-31' },
  { name: 'filter2', format: 'config2:0-31' },
];

/** Linux 6.12 has no filter2. */
export const GENERIC_FORMATS_6_12: readonly FormatAttrSpec[] = GENERIC_FORMATS.slice(0, 2);

/** The cycles event every PMU with a cycle counter lists. */
export const CYCLES_ATTR: EventAttrSpec = { name: 'cycles', event: CYCLES_EVENT, description: 'PMU clock cycles (the cycle counter)' };
