import type { Command } from 'commander';
import type { ParsedEvent } from '@cspmu/perf';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The perf_event_attr fields perf stat -vv prints (non-zero ones only), in its order and layout. */
export function attrLines(p: ParsedEvent): string[] {
  const a = p.attr;
  const rows: [string, string | undefined][] = [
    ['type', String(a.type)],
    ['size', '136'],
    ['config', a.config !== 0n ? hex(a.config) : undefined],
    ['{ sample_period, sample_freq }', a.sample_period || a.sample_freq ? String(a.sample_period || a.sample_freq) : undefined],
    ['read_format', 'TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING'],
    ['disabled', '1'],
    ['exclude_user', a.exclude_user ? '1' : undefined],
    ['exclude_kernel', a.exclude_kernel ? '1' : undefined],
    ['exclude_hv', a.exclude_hv ? '1' : undefined],
    ['freq', a.freq ? '1' : undefined],
    ['{ bp_addr, config1 }', a.config1 ? hex(a.config1) : undefined],
    ['{ bp_len, config2 }', a.config2 ? hex(a.config2) : undefined],
    ['config3', a.config3 ? hex(a.config3) : undefined],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(32)} ${v}`);
}

export function registerEncode(program: Command): void {
  withMachineFlags(
    program
      .command('encode')
      .description('show the perf_event_attr built for an event string, as perf stat -vv prints it')
      .argument('<event>', 'event string, e.g. nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/')
      .option('--json', 'machine-readable output'),
  ).action(async (event: string, opts: MachineFlags & { json?: boolean }) => {
    const m = await bootMachine(opts);
    const parsed = m.parseEvents(event);
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
    for (const p of parsed) {
      console.log(`${p.display}:`);
      console.log('-'.repeat(60));
      console.log('perf_event_attr:');
      for (const l of attrLines(p)) console.log(l);
      console.log('-'.repeat(60));
    }
  });
}
