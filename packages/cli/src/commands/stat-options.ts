// perf stat's options, parsed as perf parses them: one value per -e, the command after the options.
import { type Command, Option } from 'commander';

export interface StatFlags {
  event?: string[];
  allCpus?: boolean;
  cpu?: string;
  aggr?: boolean;
  merge?: boolean;
  perSocket?: boolean;
  perNode?: boolean;
  perCore?: boolean;
  fieldSeparator?: string;
  jsonOutput?: boolean;
  intervalPrint?: string;
  repeat?: string;
  output?: string;
  timeout?: string;
  duration?: string;
  verbose?: boolean;
  bigNum?: boolean;
  intervalCount?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Add perf stat's options to a command (stat itself, and trace, which runs a stat). */
export function withStatOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-e, --event <event>', 'event selector, a comma list with {groups} (see cspmu list); repeat -e for more').argParser(collect))
    .option('-a, --all-cpus', 'system-wide collection from all CPUs (implied without a command)')
    .option('-C, --cpu <cpus>', 'count only on these CPUs (cpulist, e.g. 0,72 or 0-3)')
    .option('-A, --no-aggr', 'do not aggregate counts across CPUs: one line per CPU')
    .option('--no-merge', 'do not merge the copies of an event opened on several PMUs (PMU prefix or bare event name)')
    .option('--per-socket', 'aggregate counts per processor socket')
    .option('--per-node', 'aggregate counts per NUMA node')
    .option('--per-core', 'aggregate counts per core (each CPU is a core on these platforms)')
    .option('-x, --field-separator <sep>', 'print counts in CSV with this separator (\\t is a tab)')
    .option('-B, --big-num', "group the digits of counts as the locale does (LC_NUMERIC's thousands separator; the default without -x)")
    .option('--no-big-num', 'print counts without digit grouping')
    .option('-j, --json-output', 'print counts in JSON, one object per line')
    .addOption(new Option('--json', 'same as -j').hideHelp())
    .option('-I, --interval-print <ms>', 'print counts every MS milliseconds (>= 10)')
    .addOption(new Option('--interval <ms>').hideHelp())
    .option('--interval-count <n>', 'with -I: print N intervals, then stop (a command runs on to its end, unprinted)')
    .option('-r, --repeat <n>', 'run N times and print the mean and its variation')
    .option('-o, --output <file>', 'write the counts to FILE instead of stderr')
    .option('--timeout <ms>', 'stop after MS milliseconds of wall time (the command is killed); the emulated clock follows the wall clock')
    .option(
      '--duration <time>',
      'count for this much VIRTUAL time (e.g. 100ms, 1s) instead of running a command: the emulated clock jumps, so a long span takes no wall time; unlike --timeout, which waits in real time',
    )
    .option('-v, --verbose', 'say why each <not supported> counter could not be opened')
    .argument('[command...]', 'the command to run and measure; its wall time is the counted span');
}
