import { Option, type Command } from 'commander';
import { PROPOSALS } from '@cspmu/system';
import { KERNEL_VERSIONS } from '@cspmu/kernel';

/** --platform, --workload, --plugin, --kernel and --proposed, shared by every command that boots a machine. */
export function withMachineFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--platform <name|file>', 'built-in platform (grace, ampereone, arm-generic) or a platform JSON file').default(undefined))
    .addOption(new Option('--workload <name|file>', "built-in workload or a workload JSON file (default: the platform's)"))
    .addOption(new Option('--plugin <name...>', 'plugin packages or modules to load at boot'))
    .addOption(new Option('--kernel <version>', `the upstream driver to behave as (${KERNEL_VERSIONS.join(', ')}; default: the platform's, else ${KERNEL_VERSIONS[0]})`))
    .addOption(new Option('--proposed <list>', `cspmu additions beyond upstream, comma-separated: ${PROPOSALS.join(', ')} (default: none)`));
}
