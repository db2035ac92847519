// Kernel cpulist text (`0-3,8`): formatting CPU numbers as one and parsing one back.
import { kerr } from '../base/errors.js';

/** Format CPU numbers as a kernel cpulist: `0-3,8,10-11`. Empty → ''. */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Parse a cpulist (`0-3,8`). Throws EINVAL naming the bad part. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  const trimmed = text.trim();
  if (trimmed === '') return [];
  for (const part of trimmed.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw kerr('EINVAL', `bad cpu list element '${part}' in '${text}': use N or N-M, comma separated`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw kerr('EINVAL', `bad cpu range '${part}' in '${text}': the end is below the start`);
    if (hi - lo > 65535) throw kerr('EINVAL', `cpu range '${part}' is too large`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}
