// Which {…} groups perf stat 6.1 really opens: uncore-alias groups split per PMU, and groups whose members' CPUs differ broken up, with perf's warning.
import type { ParsedEvent } from './grammar/grammar.js';

/** The groups perf stat opens, and the warning it prints for the groups it broke up (empty when none). */
export interface SettledGroups {
  readonly list: ParsedEvent[];
  readonly warning: string;
}

/** perf 6.1 builds a group's description in a 1024-byte buffer (its warning prints a 312-character description whole). */
const DESC_MAX = 1023;

/** The PMU name up to its last '_': perf's "uncore block" (`nvidia_scf_pmu` of `nvidia_scf_pmu_1`); undefined without one. */
function uncoreBlock(pmu: string): string | undefined {
  const cut = pmu.lastIndexOf('_');
  return cut < 0 ? undefined : pmu.slice(0, cut);
}

/**
 * A group written with bare event names only (each copied onto every PMU of
 * one uncore block that has it) becomes one group per PMU: the copies up to
 * the first repeat of the first copy's PMU lead, and every later event joins
 * the leaders in turn. Any other group stays whole, whatever its PMUs.
 * Returns the members of each resulting group.
 */
function splitAliasGroup(members: readonly ParsedEvent[]): ParsedEvent[][] {
  const first = members[0]!;
  const block = uncoreBlock(first.pmu);
  if (block === undefined || !members.every((p) => p.alias && uncoreBlock(p.pmu) === block)) return [[...members]];
  const leaders: ParsedEvent[] = [];
  for (const p of members) {
    if (p !== first && p.pmu === first.pmu) break;
    leaders.push(p);
  }
  const groups = leaders.map((): ParsedEvent[] => []);
  for (const [i, p] of members.entries()) groups[i % leaders.length]!.push(p);
  return groups;
}

/**
 * Settle the groups of a parsed list as perf stat 6.1 does before opening:
 * split uncore-alias groups per PMU, then break up every group in which a
 * member would open on other CPUs than its leader (`cpusOf`: a PMU's cpumask
 * without -C), printing "WARNING: grouped events cpus do not match, disabling
 * group:" once and each such group's description. A split group is listed
 * leader by leader, each followed by its members, as perf lists it. Every
 * event of the result is marked settled, so opening keeps each group as is.
 */
export function settleGroups(list: readonly ParsedEvent[], cpusOf: (p: ParsedEvent) => readonly number[]): SettledGroups {
  const byGroup = new Map<number, ParsedEvent[]>();
  for (const p of list) if (p.group !== undefined) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p]);
  // Each written group's events, in the order perf lists them: a split group's leaders each followed by their members.
  const ordered = new Map<number, ParsedEvent[]>();
  const broken: string[] = [];
  let next = 0;
  for (const [written, members] of byGroup) {
    const out: ParsedEvent[] = [];
    for (const group of splitAliasGroup(members)) {
      const cpus = group.map((p) => cpusOf(p).join(','));
      const matching = cpus.every((c) => c === cpus[0]);
      if (!matching) broken.push(`  ${`${members[0]!.groupName ?? 'anon group'} { ${group.map((p) => p.display).join(', ')} }`.slice(0, DESC_MAX)}`);
      // The copies of a lone alias are not grouped at all; a group written with one member stays a group of one.
      const id = matching && (group.length > 1 || members.length === 1) ? next++ : undefined;
      for (const p of group) out.push({ ...p, group: id, groupSettled: true });
    }
    ordered.set(written, out);
  }
  const result: ParsedEvent[] = [];
  for (const p of list) {
    if (p.group === undefined) result.push({ ...p, groupSettled: true });
    else if (ordered.has(p.group)) {
      result.push(...ordered.get(p.group)!);
      ordered.delete(p.group);
    }
  }
  return { list: result, warning: broken.length ? `WARNING: grouped events cpus do not match, disabling group:\n${broken.join('\n')}\n` : '' };
}
