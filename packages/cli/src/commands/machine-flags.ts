import { Option, type Command } from 'commander';

/** --platform, --workload and --plugin, shared by every command that boots a machine. */
export function withMachineFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--platform <name|file>', 'built-in platform (grace, ampereone, arm-generic) or a platform JSON file').default(undefined))
    .addOption(new Option('--workload <name|file>', "built-in workload or a workload JSON file (default: the platform's)"))
    .addOption(new Option('--plugin <name...>', 'plugin packages or modules to load at boot'));
}
