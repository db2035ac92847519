/** The bytes read() gives for a perf event, laid out by its read_format as the kernel lays them out. */
import { kerr } from '@cspmu/kernel';
import { PERF_FORMAT_GROUP, PERF_FORMAT_ID, PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING } from '@cspmu/perf';
import { PERF_FORMAT_LOST } from './protocol.js';

export interface ReadMember {
  readonly value: number;
  readonly id: number;
}

export interface ReadTimes {
  readonly enabled: number;
  readonly running: number;
}

/** Size of a read for this format and group size. */
export function readSize(readFormat: number, members: number): number {
  const perValue = 1 + (readFormat & PERF_FORMAT_ID ? 1 : 0) + (readFormat & PERF_FORMAT_LOST ? 1 : 0);
  const times = (readFormat & PERF_FORMAT_TOTAL_TIME_ENABLED ? 1 : 0) + (readFormat & PERF_FORMAT_TOTAL_TIME_RUNNING ? 1 : 0);
  return 8 * (readFormat & PERF_FORMAT_GROUP ? 1 + times + members * perValue : perValue + times);
}

/**
 * Group: nr, [enabled], [running], then {value, [id], [lost]} per member. Single: value, [enabled], [running],
 * [id], [lost]. ENOSPC when the caller's buffer is smaller, as the kernel answers.
 */
export function encodeRead(readFormat: number, times: ReadTimes, members: readonly ReadMember[], capacity: number): Buffer {
  const size = readSize(readFormat, members.length);
  if (capacity < size) throw kerr('ENOSPC', `read() needs ${size} bytes for this read_format; the buffer has ${capacity}`);
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  const put = (v: number) => {
    b.writeUInt32LE(v % 0x1_0000_0000, o);
    b.writeUInt32LE(Math.floor(v / 0x1_0000_0000), o + 4);
    o += 8;
  };
  const group = (readFormat & PERF_FORMAT_GROUP) !== 0;
  if (group) put(members.length);
  else put(members[0]!.value);
  if (readFormat & PERF_FORMAT_TOTAL_TIME_ENABLED) put(times.enabled);
  if (readFormat & PERF_FORMAT_TOTAL_TIME_RUNNING) put(times.running);
  const tail = (m: ReadMember) => {
    if (readFormat & PERF_FORMAT_ID) put(m.id);
    if (readFormat & PERF_FORMAT_LOST) put(0);
  };
  if (group) {
    for (const m of members) {
      put(m.value);
      tail(m);
    }
  } else tail(members[0]!);
  return b;
}
