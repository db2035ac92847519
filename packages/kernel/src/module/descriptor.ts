// A module descriptor read once into a plain snapshot and checked, so a Proxy or a getter can neither throw past the loader nor change it later.
import { describeThrown, kerr } from '../base/errors.js';
import { type InstalledModule, MODULE_NAME, type ModuleDescriptor } from './types.js';

/** Read and check what a plugin's entry default-exports (or a built-in module); EINVAL naming every bad field. */
export function snapshotDescriptor(
  d: unknown,
  expectedName: string | undefined,
  pkg: InstalledModule | undefined,
  hostApi: number,
): ModuleDescriptor & { readonly version: string } {
  const where = pkg ? `${pkg.packageName}` : 'built-in module';
  if (typeof d !== 'object' || d === null) throw kerr('EINVAL', `${where}: the entry must default-export a module descriptor object`);
  let snap: { -readonly [K in Exclude<keyof ModuleDescriptor, 'versionFromPackage'>]: unknown };
  try {
    const o = d as Record<string, unknown>;
    snap = {
      name: o['name'],
      version: o['versionFromPackage'] === true && pkg ? pkg.version : o['version'],
      apiVersion: o['apiVersion'],
      depends: o['depends'],
      init: o['init'],
      exit: o['exit'],
    };
    if (Array.isArray(snap.depends)) snap.depends = [...(snap.depends as unknown[])];
  } catch (e) {
    throw kerr('EINVAL', `${where}: the module descriptor cannot be read: ${describeThrown(e)}`, e);
  }
  const bad: string[] = [];
  if (typeof snap.name !== 'string' || !MODULE_NAME.test(snap.name) || snap.name.length > 64) bad.push('name (a module name)');
  if (typeof snap.version !== 'string' || snap.version.length > 64) bad.push('version (a string)');
  if (!Number.isInteger(snap.apiVersion)) bad.push('apiVersion (an integer)');
  if (typeof snap.init !== 'function') bad.push('init (a function)');
  if (typeof snap.exit !== 'function') bad.push('exit (a function)');
  if (snap.depends !== undefined && (!Array.isArray(snap.depends) || snap.depends.some((x) => typeof x !== 'string')))
    bad.push('depends (a list of module names)');
  if (bad.length) throw kerr('EINVAL', `${where}: the module descriptor lacks or has a wrong ${bad.join(', ')}`);
  const desc = snap as unknown as ModuleDescriptor & { readonly version: string };
  if (expectedName !== undefined && desc.name !== expectedName) {
    throw kerr('EINVAL', `${where}: the descriptor is named '${desc.name}' but the manifest says '${expectedName}'`);
  }
  for (const v of [desc.apiVersion, pkg?.manifest.apiVersion]) {
    if (v !== undefined && v !== hostApi) {
      throw kerr(
        'EINVAL',
        `${where}: module ${desc.name} is built for plugin API version ${v}, but this host speaks version ${hostApi}; rebuild it against this host`,
      );
    }
  }
  const target = d as ModuleDescriptor;
  // Methods are called on the original object, so `this` inside init/exit is what the plugin expects.
  return {
    ...desc,
    init: (ctx) => (snap.init as ModuleDescriptor['init']).call(target, ctx),
    exit: (ctx) => (snap.exit as ModuleDescriptor['exit']).call(target, ctx),
  };
}
