// The "cspmu" manifest in a plugin's package.json: checked field by field, read from a snapshot so getters cannot change it.
import { kerr, MODULE_NAME, type ModuleClaim, type ModuleManifest } from '@cspmu/kernel';

/** package.json files larger than this are not plugin manifests (1 MiB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** A plugin declares at most this many claims. */
export const MAX_CLAIMS = 64;

/** Check the `"cspmu"` value of a package.json; returns a plain copy. */
export function checkManifest(m: unknown, pkg: string): ModuleManifest {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw kerr('EINVAL', `${pkg}: "cspmu" in package.json must be an object`);
  const o = m as Record<string, unknown>;
  const module = o['module'];
  const apiVersion = o['apiVersion'];
  const claims = o['claims'];
  if (typeof module !== 'string' || !MODULE_NAME.test(module) || module.length > 64)
    throw kerr('EINVAL', `${pkg}: cspmu.module must be a module name like nvidia_cspmu`);
  if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) throw kerr('EINVAL', `${pkg}: cspmu.apiVersion must be an integer`);
  if (claims === undefined) return { module, apiVersion };
  if (
    !Array.isArray(claims) ||
    claims.length > MAX_CLAIMS ||
    claims.some((c) => typeof c !== 'object' || c === null || typeof (c as ModuleClaim).subsystem !== 'string')
  ) {
    throw kerr('EINVAL', `${pkg}: cspmu.claims must be a list of at most ${MAX_CLAIMS} objects with a 'subsystem'`);
  }
  return { module, apiVersion, claims: claims.map((c) => ({ ...(c as ModuleClaim) })) };
}
