// The blacklist boot option: installed modules the driver never requests automatically, as modprobe.blacklist=.
import { describeValue, kerr, type ModuleLoader } from '@cspmu/kernel';

/** Module names of a blacklist given by module or package name; EINVAL for anything that is not a name. */
export function blacklistedModules(list: readonly string[] | undefined, modules: ModuleLoader): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw kerr('EINVAL', 'blacklist must be a list of module or package names');
  const installed = modules.installed();
  return list.map((name) => {
    if (typeof name !== 'string' || name.length === 0 || name.length > 214)
      throw kerr('EINVAL', `blacklist entry ${describeValue(name)} is not a module or package name`);
    return installed.find((m) => m.packageName === name)?.manifest.module ?? name;
  });
}
