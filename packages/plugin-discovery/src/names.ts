// Module and package names a user gives: refused before anything is resolved unless bare.
import { isBuiltin } from 'node:module';
import { kerr, MODULE_NAME } from '@cspmu/kernel';
import validatePackageName from 'validate-npm-package-name';

/**
 * Refuse anything that is not a bare package or module name, before any
 * resolution: paths, URLs, Node builtins, `..`, deep imports.
 */
export function checkModuleName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw kerr('EINVAL', 'module name must be a non-empty string');
  if (name.length > 214) throw kerr('EINVAL', `module name '${name.slice(0, 40)}…' is longer than 214 characters`);
  if (name.includes('..')) throw kerr('EINVAL', `module name '${name}' contains '..'; give a bare package name`);
  if (/^[./\\~]/.test(name) || /^[a-zA-Z]:[\\/]/.test(name)) {
    throw kerr('EINVAL', `module name '${name}' is a path; give a bare package name such as @cspmu/nvidia`);
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(name)) throw kerr('EINVAL', `module name '${name}' is a URL; give a bare package name`);
  if (isBuiltin(name)) throw kerr('EINVAL', `module name '${name}' is a Node builtin, not a plugin`);
  if (MODULE_NAME.test(name)) return name;
  const v = validatePackageName(name);
  if (!v.validForNewPackages && !v.validForOldPackages) {
    throw kerr('EINVAL', `module name '${name}' is not a valid package name: ${[...(v.errors ?? []), ...(v.warnings ?? [])].join('; ')}`);
  }
  const slashes = name.split('/').length - 1;
  if (slashes > (name.startsWith('@') ? 1 : 0)) throw kerr('EINVAL', `module name '${name}' is a deep import; give the package name only`);
  return name;
}
