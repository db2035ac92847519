// The cap on how many PMU devices a platform file or an APMT may describe, and the option that raises it.
import { kerr } from '@cspmu/kernel';
import { APMT_HEADER_LENGTH, APMT_NODE_LENGTH } from './apmt.js';

/** By default, at most this many PMU devices in a platform file and nodes read from an APMT (far beyond any machine). */
export const DEFAULT_MAX_PMUS = 4096;
/** The default cap on nodes read from an APMT (a bigger table is refused unless maxPmus raises the cap). */
export const MAX_APMT_NODES = DEFAULT_MAX_PMUS;
/** The default cap on PMU devices in a platform file (unless maxPmus raises it). */
export const MAX_PLATFORM_PMUS = DEFAULT_MAX_PMUS;

/** The most nodes an APMT can hold at all: its length field is 32 bits. No cap may be raised past it. */
export const MAX_PMUS_CEILING = Math.floor((0xffffffff - APMT_HEADER_LENGTH) / APMT_NODE_LENGTH);

/** How to raise the cap, for error messages (the machine option and the CLI flag both set it). */
export const RAISE_PMU_CAP = 'raise the cap with the maxPmus option (Machine.boot({ maxPmus }), cspmu --max-pmus N)';

/** Options that take the cap: `maxPmus` (default DEFAULT_MAX_PMUS). */
export interface PmuCapOptions {
  readonly maxPmus?: number;
}

/** The cap in force: `maxPmus` checked (a whole number from 1 to MAX_PMUS_CEILING), or the default. */
export function pmuCap(options: PmuCapOptions | undefined): number {
  const n = options?.maxPmus;
  if (n === undefined) return DEFAULT_MAX_PMUS;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PMUS_CEILING) {
    throw kerr(
      'EINVAL',
      `maxPmus: ${typeof n === 'number' ? n : `a ${typeof n}`} is not a whole number from 1 to ${MAX_PMUS_CEILING} (the most nodes an APMT can hold)`,
    );
  }
  return n;
}
