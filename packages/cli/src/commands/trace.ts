import type { Command } from 'commander';
import { kerr } from '@cspmu/kernel';
import { statCommand } from './stat.js';

interface TraceFlags {
  rwmmio?: boolean;
  filter?: string;
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('run a stat while tracing, then print the trace: cspmu trace --rwmmio -- -e EVENT --duration 1ms')
    .option('--rwmmio', 'rwmmio tracepoints on every instrumented MMIO access')
    .option('--filter <expr>', 'an ftrace-style filter, e.g. \'caller ~ "arm_cspmu_*"\' or \'dev == "arm-cs-arch-pmu.0"\'')
    .argument('<stat-args...>', 'arguments of cspmu stat, after --')
    .action(async (statArgs: string[], opts: TraceFlags) => {
      if (!opts.rwmmio) throw kerr('EINVAL', 'choose what to trace: --rwmmio');
      const stat = statCommand(
        {
          afterBoot: (m) => {
            m.kernel.trace.configure(1 << 20, 'overwrite');
            m.kernel.trace.enable('rwmmio:*');
            if (opts.filter) for (const tp of m.kernel.trace.list()) if (tp.def.system === 'rwmmio') tp.setFilter(opts.filter);
          },
          afterRun: (m) => {
            process.stdout.write(`# tracer: rwmmio\n# lost events: ${m.kernel.trace.lost}\n${m.kernel.trace.text()}\n`);
          },
        },
        'trace-stat',
      );
      stat.exitOverride();
      await stat.parseAsync(statArgs, { from: 'user' });
    });
}
