// Booting the machine a cspmu command runs on, from --platform, --workload and --plugin given before or after the subcommand.
import { existsSync } from 'node:fs';
import { BUILTIN_PLATFORMS, BUILTIN_WORKLOADS, type PlatformSpec, type WorkloadSpec } from '@cspmu/hw';
import { parseKernelVersion } from '@cspmu/kernel';
import { Machine, type MachineOptions, parseProposals } from '@cspmu/system';
import { pmuCapFlag, readJson } from './util.js';

export interface MachineFlags {
  readonly platform?: string;
  readonly workload?: string;
  readonly plugin?: string[];
  readonly realClock?: boolean;
  readonly kernel?: string;
  readonly proposed?: string;
}

/** A platform or workload flag: a built-in name, or a JSON file. */
function nameOrFile<T>(value: string, builtins: Record<string, unknown>, what: string): string | T {
  if (Object.hasOwn(builtins, value)) return value;
  if (existsSync(value) || value.endsWith('.json') || value.includes('/')) return readJson(value, what) as T;
  return value;
}

let globalFlags: MachineFlags = {};

/** The machine options given before the subcommand; the subcommand's own win. */
export function setGlobalMachineFlags(flags: MachineFlags): void {
  globalFlags = flags;
}

export async function bootMachine(own: MachineFlags, extra: Partial<MachineOptions> = {}): Promise<Machine> {
  const flags: MachineFlags = {
    ...globalFlags,
    ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)),
    plugin: [...(globalFlags.plugin ?? []), ...(own.plugin ?? [])],
  };
  const platform = flags.platform === undefined ? 'grace' : nameOrFile<PlatformSpec>(flags.platform, BUILTIN_PLATFORMS, 'platform');
  const workload = flags.workload === undefined ? undefined : nameOrFile<WorkloadSpec>(flags.workload, BUILTIN_WORKLOADS, 'workload');
  return Machine.boot({
    platform,
    ...(workload !== undefined ? { workload } : {}),
    ...(flags.plugin?.length ? { plugins: flags.plugin } : {}),
    ...(flags.kernel !== undefined ? { kernelVersion: parseKernelVersion(flags.kernel, '--kernel') } : {}),
    ...(flags.proposed !== undefined ? { proposed: parseProposals(flags.proposed, '--proposed') } : {}),
    ...pmuCapFlag(),
    ...extra,
  });
}
