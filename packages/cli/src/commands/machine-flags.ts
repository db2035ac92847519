// The options that choose the machine (--platform, --workload, --plugin), accepted before or after the subcommand.

import { KERNEL_VERSIONS } from '@cspmu/kernel';
import { PROPOSALS } from '@cspmu/system';
import { type Command, Option } from 'commander';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** --platform, --workload, --plugin, --kernel and --proposed (and a hidden --debug), shared by every command that boots a machine. */
export function withMachineFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--platform <name|file>', 'built-in platform (grace, ampereone, arm-generic) or a platform JSON file'))
    .addOption(new Option('--workload <name|file>', "built-in workload or a workload JSON file (default: the platform's)"))
    .addOption(new Option('--plugin <name>', 'a plugin package or module to load at boot (repeat for more)').argParser(collect))
    .addOption(
      new Option('--kernel <version>', `the upstream driver to behave as (${KERNEL_VERSIONS.join(', ')}; default: the platform's, else ${KERNEL_VERSIONS[0]})`),
    )
    .addOption(new Option('--proposed <list>', `cspmu additions beyond upstream, comma-separated: ${PROPOSALS.join(', ')} (default: none)`))
    .addOption(new Option('--debug', 'print stack traces on errors').hideHelp());
}
