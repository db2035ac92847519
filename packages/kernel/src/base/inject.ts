// The known bugs a machine can be booted with (injected hazards), and the check of their names.
import { describeValue, kerr } from './errors.js';

/**
 * Known bugs a machine can be booted with, each written as the code a
 * wrong patch would contain, so that the checks (lifetime checker,
 * refcount_t, lockdep, hi-lo-hi) can be seen catching it:
 * - `reprobe-in-destroy`: event->destroy reprobes the device itself, freeing
 *   the instance while the perf core still uses it.
 * - `no-grace-period`: a grace-period wait is skipped before freeing.
 * - `double-module-put`: the perf core drops the PMU's module reference twice.
 * - `no-hilohi`: a 64-bit counter is read as two halves without the re-check.
 * - `lock-inversion`: one path takes the registry mutex and a device lock in the other order.
 */
export type InjectedHazard = 'reprobe-in-destroy' | 'no-grace-period' | 'double-module-put' | 'no-hilohi' | 'lock-inversion';

export const INJECTED_HAZARDS: readonly InjectedHazard[] = ['reprobe-in-destroy', 'no-grace-period', 'double-module-put', 'no-hilohi', 'lock-inversion'];

/** Validate a list of hazard names (EINVAL naming the known ones), as a set. */
export function parseInjectedHazards(names: readonly unknown[] | undefined): ReadonlySet<InjectedHazard> {
  if (names === undefined) return new Set();
  if (!Array.isArray(names)) throw kerr('EINVAL', `inject must be a list of hazard names (${INJECTED_HAZARDS.join(', ')})`);
  for (const n of names) {
    if (typeof n !== 'string' || !(INJECTED_HAZARDS as readonly string[]).includes(n)) {
      throw kerr('EINVAL', `unknown injected hazard ${describeValue(n)}; known hazards: ${INJECTED_HAZARDS.join(', ')}`);
    }
  }
  return new Set(names as InjectedHazard[]);
}
