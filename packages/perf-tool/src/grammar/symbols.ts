// The symbolic event names perf knows without sysfs: generic hardware and software events.
import { PERF_TYPE } from '@cspmu/perf';

/** PERF_COUNT_HW_* by perf's names (aliases included). */
export const HARDWARE_EVENTS: ReadonlyMap<string, number> = new Map([
  ['cpu-cycles', 0],
  ['cycles', 0],
  ['instructions', 1],
  ['cache-references', 2],
  ['cache-misses', 3],
  ['branch-instructions', 4],
  ['branches', 4],
  ['branch-misses', 5],
  ['bus-cycles', 6],
  ['stalled-cycles-frontend', 7],
  ['idle-cycles-frontend', 7],
  ['stalled-cycles-backend', 8],
  ['idle-cycles-backend', 8],
  ['ref-cycles', 9],
]);

/** PERF_COUNT_SW_* by perf's names (aliases included). */
export const SOFTWARE_EVENTS: ReadonlyMap<string, number> = new Map([
  ['cpu-clock', 0],
  ['task-clock', 1],
  ['page-faults', 2],
  ['faults', 2],
  ['context-switches', 3],
  ['cs', 3],
  ['cpu-migrations', 4],
  ['migrations', 4],
  ['minor-faults', 5],
  ['major-faults', 6],
  ['alignment-faults', 7],
  ['emulation-faults', 8],
  ['dummy', 9],
  ['bpf-output', 10],
]);

/** The type and config of a symbolic name, if it is one. */
export function symbolicEvent(name: string): { type: number; config: bigint } | undefined {
  const hw = HARDWARE_EVENTS.get(name);
  if (hw !== undefined) return { type: PERF_TYPE.HARDWARE, config: BigInt(hw) };
  const sw = SOFTWARE_EVENTS.get(name);
  if (sw !== undefined) return { type: PERF_TYPE.SOFTWARE, config: BigInt(sw) };
  return undefined;
}

/** task-clock and cpu-clock: perf shows them in msec and derives "CPUs utilized" and rates from them. */
export function isClockEvent(type: number, config: bigint): boolean {
  return type === PERF_TYPE.SOFTWARE && (config === 0n || config === 1n);
}
