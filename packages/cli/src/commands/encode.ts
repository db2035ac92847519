// cspmu encode: the perf_event_attr perf stat builds for an event string, printed as perf stat -vv prints it.

import type { Kernel } from '@cspmu/kernel';
import type { PerfCore } from '@cspmu/perf';
import { cpusFor, groupKey, type ParsedEvent, parseEventList, pmuCpumask, type SettledGroups, settleGroups } from '@cspmu/perf-tool';
import type { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

const hex = (v: bigint) => `0x${v.toString(16)}`;
const RULE = '-'.repeat(60);

/** How perf stat counts: per task (it forks the command) or system-wide (-a / -C). */
export type EncodeMode = 'task' | 'system';

/**
 * The attr fields perf stat -vv prints (non-zero ones only), in its order:
 * perf stat adds sample_type IDENTIFIER, inherit, read_format with ID|GROUP
 * in groups of more than one, disabled on leaders, and enable_on_exec on
 * leaders when it forks the command it counts, except on an uncore PMU (one
 * with a cpumask), which counts per CPU anyway.
 */
export function attrLines(p: ParsedEvent, list: readonly ParsedEvent[], mode: EncodeMode, uncore: ReadonlySet<string> = new Set()): string[] {
  const a = p.attr;
  const members = p.group === undefined ? [p] : list.filter((q) => groupKey(q) === groupKey(p));
  const leader = members[0] === p;
  const grouped = members.length > 1;
  const flag = (b: boolean | undefined) => (b ? '1' : undefined);
  const rows: [string, string | undefined][] = [
    ['type', a.type !== 0 ? String(a.type) : undefined],
    ['size', '128'],
    ['config', a.config !== 0n ? hex(a.config) : undefined],
    ['sample_type', 'IDENTIFIER'],
    ['read_format', `TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING${grouped ? '|ID|GROUP' : ''}`],
    ['disabled', flag(leader)],
    ['inherit', '1'],
    ['pinned', flag(a.pinned)],
    ['exclusive', flag(a.exclusive)],
    ['exclude_user', flag(a.exclude_user)],
    ['exclude_kernel', flag(a.exclude_kernel)],
    ['exclude_hv', flag(a.exclude_hv)],
    ['exclude_idle', flag(a.exclude_idle)],
    ['enable_on_exec', flag(leader && mode === 'task' && !uncore.has(p.pmu))],
    ['precise_ip', p.precise ? String(p.precise) : undefined],
    ['exclude_host', flag(a.exclude_host)],
    ['exclude_guest', flag(a.exclude_guest)],
    ['{ bp_addr, config1 }', a.config1 ? hex(a.config1) : undefined],
    ['{ bp_len, config2 }', a.config2 ? hex(a.config2) : undefined],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(32)} ${v}`);
}

/** One event's block, as perf stat -vv prints it before each open. */
export function attrBlock(p: ParsedEvent, list: readonly ParsedEvent[], mode: EncodeMode, uncore?: ReadonlySet<string>): string {
  return [RULE, 'perf_event_attr:', ...attrLines(p, list, mode, uncore), RULE].join('\n');
}

/** The PMUs with a cpumask (perf's uncore PMUs). */
export function uncorePmus(perf: PerfCore): Set<string> {
  return new Set(
    perf
      .pmus()
      .filter((r) => pmuCpumask(perf, r.name) !== undefined)
      .map((r) => r.name),
  );
}

/** The events perf stat opens for an event string, grouped as it settles them for the mode (system-wide or per task). */
export function encodedList(m: { readonly perf: PerfCore; readonly kernel: Kernel }, event: string, mode: EncodeMode): SettledGroups {
  return settleGroups(parseEventList(m.perf, [event]), (p) => cpusFor(m.perf, m.kernel, p, { systemWide: mode === 'system' }));
}

export function registerEncode(program: Command): void {
  withMachineFlags(
    program
      .command('encode')
      .description('show the perf_event_attr perf stat builds for an event string, as perf stat -vv prints it')
      .argument('<event>', 'event string, e.g. nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/')
      .option('-a, --all-cpus', 'as perf stat -a builds it (system-wide); default: as for a command it forks')
      .option('--json', 'machine-readable output'),
  ).action(async (event: string, opts: MachineFlags & { json?: boolean; allCpus?: boolean }) => {
    const m = await bootMachine(opts);
    const mode: EncodeMode = opts.allCpus ? 'system' : 'task';
    const settled = encodedList(m, event, mode);
    // perf prints its warning on stderr when it breaks a group up.
    if (settled.warning) process.stderr.write(settled.warning);
    const parsed = settled.list;
    if (opts.json) {
      const out = parsed.map((p) => ({
        event: p.display,
        pmu: p.pmu,
        group: p.group ?? null,
        type: p.attr.type,
        config: hex(p.attr.config),
        config1: hex(p.attr.config1 ?? 0n),
        config2: hex(p.attr.config2 ?? 0n),
        config3: hex(p.attr.config3 ?? 0n),
        modifiers: p.modifiers,
      }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const uncore = uncorePmus(m.perf);
    process.stdout.write(`${parsed.map((p) => attrBlock(p, parsed, mode, uncore)).join('\n')}\n`);
  });
}
