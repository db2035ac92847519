import { defineBackend, IMPL_ID_NVIDIA, type BackendDefinition, type CspmuInstance } from '@cspmu/arm-cspmu';
import { filterValue, GENERIC_PRODUCT, productOf, type NvProduct } from './products.js';

/**
 * The NVIDIA backend for one machine. Names: `<product name>_<socket>`;
 * a second PMU of one type on one socket (not on Grace, but real on other
 * parts) gets `_<socket>_1`, `_2`, … in probe order instead of failing with
 * a duplicate sysfs name as upstream did. Unknown products get
 * `nvidia_uncore_pmu_<n>` from a per-machine counter that starts at 0.
 */
export function nvidiaBackend(): BackendDefinition {
  let uncoreCount = 0;
  return defineBackend({
    name: 'nvidia_cspmu',
    match: { implementer: IMPL_ID_NVIDIA },
    init(inst: CspmuInstance) {
      const p: NvProduct = productOf(inst.pmiidr);
      inst.ctx = p;
      const filter = (config1: bigint) => filterValue(config1, p.filterMask, p.filterDefault);
      return {
        getEventAttrs: () => p.events,
        getFormatAttrs: () => p.formats,
        getName: () => (p === GENERIC_PRODUCT ? inst.uniqueName(`${p.name}_${uncoreCount++}`) : inst.uniqueName(`${p.name}_${inst.socket}`)),
        setEvFilter: (i, e) => {
          i.writeEvFilter(e, filter(e.attr.config1));
          if (p.filter2Mask !== 0) i.writeEvFilter2(e, filterValue(e.attr.config2, p.filter2Mask, p.filter2Default));
        },
        setCcFilter: (i, e) => i.writeCcFilter(filter(e.attr.config1)),
      };
    },
  });
}
