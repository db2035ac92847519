// formatField: one declaration of an event field that gives both its format/ file text and the reader of its bits from an event.
import { kerr } from '@cspmu/kernel';
import type { FormatAttrSpec, PerfEvent } from './backend-api.js';

type ConfigWord = 'config' | 'config1' | 'config2';

/** A format attribute that also reads its field out of an event, so the bits are written once. */
export interface FormatField extends FormatAttrSpec {
  /** The field's value in `event.attr`: its bits gathered low to high, as perf packed them. */
  value(event: PerfEvent): bigint;
}

/**
 * A format field such as `formatField('rank', 'config1:8-23')`: the
 * `format/<name>` file's text and the reader of that field. Ranges may be
 * listed (`config:0-3,8-11`); a single bit is `config1:5`.
 */
export function formatField(name: string, format: string): FormatField {
  const m = /^(config[12]?):(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)$/.exec(format);
  if (!m) throw kerr('EINVAL', `format '${format}' of '${name}' must look like config1:8-23 (config, config1 or config2, then bit ranges)`);
  const word = m[1] as ConfigWord;
  const ranges = m[2]!.split(',').map((r) => {
    const [lo, hi = lo] = r.split('-').map(Number) as [number, number?];
    if (hi! < lo || hi! > 63) throw kerr('EINVAL', `format '${format}' of '${name}': bit range ${r} must be low-high within 0-63`);
    return [BigInt(lo), BigInt(hi!)] as const;
  });
  return {
    name,
    format,
    value(event) {
      const v = event.attr[word];
      let out = 0n;
      let at = 0n;
      for (const [lo, hi] of ranges) {
        const width = hi - lo + 1n;
        out |= ((v >> lo) & ((1n << width) - 1n)) << at;
        at += width;
      }
      return out;
    },
  };
}
