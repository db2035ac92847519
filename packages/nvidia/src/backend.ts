// The NVIDIA backend: PMU names by product and socket, events, formats and filters from the product table of the kernel version in force.
import { defineBackend } from '@cspmu/arm-cspmu';
import { filterValue, GENERIC_PRODUCT, productOf } from './products.js';
import { filterValue612, productOf612 } from './products-6-12.js';

/** NVIDIA's JEP106 implementer code (the claim in package.json says the same; the loader checks). */
export const NVIDIA_IMPLEMENTER = 0x36b;

/**
 * The NVIDIA backend. Names: `<product name>_<socket>`; a second PMU of one
 * type on one socket (not on Grace, but real on other parts) gets
 * `_<socket>_1`, `_2`, … in probe order instead of failing with a
 * duplicate sysfs name. Unknown products get `nvidia_uncore_pmu_<n>`, n
 * counting from 0 while the module is loaded.
 */
export const nvidiaBackend = defineBackend({
  name: 'nvidia_cspmu',
  match: { implementer: NVIDIA_IMPLEMENTER },
  init(inst) {
    // nvidia_cspmu as the modelled kernel has it: 6.12 predates port filtering and the SCF event clean-up.
    const old = inst.kernelVersion === '6.12';
    const p = old ? productOf612(inst.product) : productOf(inst.product);
    const rule = old ? filterValue612 : filterValue;
    const filter = (config1: bigint) => rule(config1, p.filterMask, p.filterDefault);
    return {
      getEventAttrs: () => p.events,
      getFormatAttrs: () => p.formats,
      getName: () => inst.uniqueName(p === GENERIC_PRODUCT ? `${p.name}_${inst.nameIndex(p.name)}` : `${p.name}_${inst.socket}`),
      setEvFilter: (i, e) => {
        i.writeEvFilter(e, filter(e.attr.config1));
        if (p.filter2Mask !== 0) i.writeEvFilter2(e, filterValue(e.attr.config2, p.filter2Mask, p.filter2Default));
      },
      setCcFilter: (i, e) => i.writeCcFilter(filter(e.attr.config1)),
    };
  },
});
