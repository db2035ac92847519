// The vendor backend registry: entries with their JEP106 match and owning module, lookup at probe, claim checks, one mutex for all of it.
import { type Ida, type InstalledModule, type Kernel, kerr, type ModuleClaim, type ModuleHandle, type ModuleLoader, type Mutex } from '@cspmu/kernel';
import type { BackendDefinition, BackendMatch } from './backend-api.js';
import './lifecycle.js';

/** What happens to a backend's devices when it unregisters. */
export type UnregisterPolicy = 'fallback' | 'stay-unbound';
/** What happens when a backend registers while generic-bound matching devices have events. */
export type RegisterPolicy = 'reprobe-when-idle' | 'reject-busy';

export const CLAIM_SUBSYSTEM = 'arm-cspmu';

/** The outcome of looking up a backend for a device at probe. */
export type ImplLookup = { kind: 'backend'; entry: RegisteredBackend } | { kind: 'request'; packageName: string; module: string } | { kind: 'generic' };

/** A registered backend: its definition, owning module, PMIIDR match, and the name indexes its instances draw from. */
export interface RegisteredBackend {
  readonly definition: BackendDefinition;
  readonly module: ModuleHandle | undefined;
  readonly pmiidrVal: number;
  readonly pmiidrMask: number;
  /** Per name prefix: the indexes `CspmuInstance.nameIndex` hands out while this registration lasts. */
  readonly nameIndexes: Map<string, Ida>;
}

/** PMIIDR value and mask of a match (implementer always; product, variant, revision if given). */
export function matchToPmiidr(m: BackendMatch): { val: number; mask: number } {
  let val = m.implementer & 0xfff;
  let mask = 0xfff;
  if (m.product !== undefined) {
    val |= (m.product & 0xfff) << 20;
    mask |= 0xfff00000;
  }
  if (m.variant !== undefined) {
    val |= (m.variant & 0xf) << 16;
    mask |= 0xf0000;
  }
  if (m.revision !== undefined) {
    val |= (m.revision & 0xf) << 12;
    mask |= 0xf000;
  }
  return { val: val >>> 0, mask: mask >>> 0 };
}

function parseHex(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return Number(v);
  return undefined;
}

/** Does a manifest claim cover this PMIIDR? `{ implementer, product? }` or `{ fallback: true }`. */
export function claimMatches(claim: ModuleClaim, pmiidr: number, fallback: boolean): boolean {
  if (fallback) return claim['fallback'] === true;
  const impl = parseHex(claim['implementer']);
  if (impl === undefined || (pmiidr & 0xfff) !== impl) return false;
  const product = parseHex(claim['product']);
  return product === undefined || ((pmiidr >>> 20) & 0xfff) === product;
}

/** Does a manifest claim name exactly the devices `match` serves (implementer, and product if the claim gives one)? */
function claimCovers(claim: ModuleClaim, match: BackendMatch | 'fallback'): boolean {
  if (claim.subsystem !== CLAIM_SUBSYSTEM) return false;
  if (match === 'fallback') return claim['fallback'] === true;
  if (parseHex(claim['implementer']) !== match.implementer) return false;
  const product = parseHex(claim['product']);
  return product === undefined || product === match.product;
}

/**
 * A plugin package says in package.json which devices it serves, so the
 * loader can request it without importing it; the backend it registers
 * must serve what that claim says. EINVAL names both when they differ.
 */
export function checkClaim(def: BackendDefinition, pkg: InstalledModule): void {
  const claims = pkg.manifest.claims ?? [];
  if (claims.some((c) => claimCovers(c, def.match))) return;
  const said = claims.filter((c) => c.subsystem === CLAIM_SUBSYSTEM).map((c) => JSON.stringify(c));
  throw kerr(
    'EINVAL',
    `backend ${def.name} serves ${describeMatch(def)}, but package ${pkg.packageName} claims ${said.length ? said.join(', ') : 'nothing for arm-cspmu'} in its package.json "cspmu" manifest; make the claim and the backend's match name the same implementer${def.match !== 'fallback' && def.match.product !== undefined ? ' and product' : ''}`,
  );
}

function describeMatch(d: BackendDefinition): string {
  if (d.match === 'fallback') return 'the generic fallback';
  const { val, mask } = matchToPmiidr(d.match);
  return `pmiidr 0x${val.toString(16)} mask 0x${mask.toString(16)}`;
}

/**
 * The vendor backend registry: entries (name, JEP106 match, owning module,
 * init ops) guarded by one Mutex. Lookups at probe and registrations are
 * serialised by it; the attach and reprobe work that follows a
 * registration runs after it is released, so probe (which takes it under
 * the device lock) can never deadlock against it.
 */
export class ImplRegistry {
  readonly mutex: Mutex;
  private readonly entries: RegisteredBackend[] = [];
  /** Modules the user unloaded: not requested again automatically until loaded by hand. */
  private readonly noAutoRequest = new Set<string>();
  /** Modules requested for a deferred device and not loaded yet. */
  private readonly requested = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly modules: ModuleLoader,
  ) {
    this.mutex = kernel.mutex('arm_cspmu_lock');
  }

  all(): readonly RegisteredBackend[] {
    return this.entries;
  }

  /** Validate and add an entry under the lock; EINVAL naming the holder if it overlaps one (arm_cspmu_impl_register warns and returns -EINVAL). */
  async add(def: BackendDefinition, module: ModuleHandle | undefined, guard?: () => void): Promise<RegisteredBackend> {
    checkDefinition(def);
    const { val, mask } = def.match === 'fallback' ? { val: 0, mask: 0 } : matchToPmiidr(def.match);
    const entry: RegisteredBackend = { definition: def, module, pmiidrVal: val, pmiidrMask: mask, nameIndexes: new Map() };
    return this.mutex.runExclusive(() => {
      for (const e of this.entries) {
        const bothFallback = def.match === 'fallback' && e.definition.match === 'fallback';
        const overlap = def.match !== 'fallback' && e.definition.match !== 'fallback' && ((val ^ e.pmiidrVal) & mask & e.pmiidrMask) === 0;
        if (bothFallback || overlap || e.definition.name === def.name) {
          const detail = `arm_cspmu backend ${def.name} (${describeMatch(def)}) is already served by ${e.definition.name} from module ${e.module?.name ?? 'built-in'}; unload it first`;
          this.kernel.log.warn(
            'arm_cspmu',
            `WARNING: arm_cspmu backend already registered for module: ${e.module?.name ?? e.definition.name}, pmiidr: 0x${e.pmiidrVal.toString(16)}, mask: 0x${e.pmiidrMask.toString(16)}`,
          );
          throw kerr('EINVAL', detail);
        }
      }
      guard?.();
      this.entries.push(entry);
      if (module) {
        this.noAutoRequest.delete(module.name);
        this.requested.delete(module.name);
      }
      return entry;
    }, 'arm_cspmu_impl_register');
  }

  /**
   * Remove an entry under the lock, and keep its module from being requested
   * again automatically. `whileLocked` runs before the lock is released.
   */
  async remove(name: string, whileLocked?: (entry: RegisteredBackend) => Promise<void>): Promise<RegisteredBackend> {
    return this.mutex.runExclusive(async () => {
      const i = this.entries.findIndex((e) => e.definition.name === name);
      if (i < 0) throw kerr('ENOENT', `no arm_cspmu backend '${name}' is registered`);
      const [entry] = this.entries.splice(i, 1);
      if (entry!.module) this.noAutoRequest.add(entry!.module.name);
      await whileLocked?.(entry!);
      return entry!;
    }, 'arm_cspmu_impl_unregister');
  }

  /** Never request this module automatically (modprobe.blacklist): it stays installed and loadable by hand. */
  blockAutoRequest(module: string): void {
    this.noAutoRequest.add(module);
  }

  /** A module explicitly loaded again may be requested automatically again. */
  allowAutoRequest(module: string): void {
    this.noAutoRequest.delete(module);
  }

  /** The registered vendor backend for a PMIIDR (first match), without the fallback. */
  vendorFor(pmiidr: number): RegisteredBackend | undefined {
    return this.entries.find((e) => e.definition.match !== 'fallback' && (e.pmiidrVal & e.pmiidrMask) === ((pmiidr >>> 0) & e.pmiidrMask));
  }

  fallback(): RegisteredBackend | undefined {
    return this.entries.find((e) => e.definition.match === 'fallback');
  }

  /**
   * Decide, with the lock held by the caller, what serves a device:
   * a registered vendor backend; else an installed but unloaded plugin that
   * claims the implementer (request it and defer); else the fallback
   * backend, or its installed plugin; else the core's generic ops.
   */
  lookupLocked(pmiidr: number): ImplLookup {
    this.mutex.assertHeld('lookup of an arm_cspmu backend');
    const vendor = this.vendorFor(pmiidr);
    if (vendor) return { kind: 'backend', entry: vendor };
    const claim = this.claimant(pmiidr, false);
    if (claim) return claim;
    const fb = this.fallback();
    if (fb) return { kind: 'backend', entry: fb };
    return this.claimant(pmiidr, true) ?? { kind: 'generic' };
  }

  private claimant(pmiidr: number, fallback: boolean): ImplLookup | undefined {
    const found = this.modules.claimants(CLAIM_SUBSYSTEM, (c) => claimMatches(c, pmiidr, fallback));
    for (const m of found) {
      const name = m.manifest.module;
      if (this.noAutoRequest.has(name)) continue;
      const loaded = this.modules.get(name);
      if (loaded?.state === 'live') continue;
      return { kind: 'request', packageName: m.packageName, module: name };
    }
    return undefined;
  }

  /** Ask for a module once; if it fails to load, stop asking so the device can fall back. */
  request(module: string, packageName: string, onFailed: () => void): void {
    if (this.requested.has(module)) return;
    this.requested.add(module);
    const off = () => {
      this.kernel.lifecycle.off('module:load-failed', failed);
      this.kernel.lifecycle.off('module:loaded', loaded);
    };
    const failed = (p: { module: string }) => {
      if (p.module !== packageName && p.module !== module) return;
      off();
      this.requested.delete(module);
      this.noAutoRequest.add(module);
      this.kernel.log.warn('arm_cspmu', `backend module ${module} failed to load; its devices fall back to the generic driver`);
      onFailed();
    };
    const loaded = (p: { module: string }) => {
      if (p.module === module) off();
    };
    this.kernel.lifecycle.on('module:load-failed', failed);
    this.kernel.lifecycle.on('module:loaded', loaded);
    this.modules.requestModule(packageName);
  }
}

/** A backend definition is well-formed: a module-style name, an init, a valid JEP106 match. EINVAL naming what is wrong. */
export function checkDefinition(def: BackendDefinition): void {
  if (typeof def !== 'object' || def === null) throw kerr('EINVAL', 'a backend definition must be an object');
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(def.name))
    throw kerr('EINVAL', `backend name '${String(def.name)}' must be a module-style name like nvidia_cspmu`);
  if (typeof def.init !== 'function') throw kerr('EINVAL', `backend ${def.name}: init must be a function returning its ops`);
  if (def.match !== 'fallback') {
    const m = def.match;
    if (typeof m !== 'object' || m === null)
      throw kerr('EINVAL', `backend ${def.name}: match must be { implementer, product?, variant?, revision? } or 'fallback'`);
    const field = (k: 'implementer' | 'product' | 'variant' | 'revision', max: number) => {
      const v = m[k];
      if (v === undefined && k !== 'implementer') return;
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max)
        throw kerr('EINVAL', `backend ${def.name}: match.${k} must be an integer 0..0x${max.toString(16)}`);
    };
    field('implementer', 0xfff);
    if ((m.implementer & 0x80) !== 0) throw kerr('EINVAL', `backend ${def.name}: 0x${m.implementer.toString(16)} is not a JEP106 code (bit 7 set)`);
    if (m.implementer === 0) throw kerr('EINVAL', `backend ${def.name}: unable to find a match for pmiidr 0x0`);
    field('product', 0xfff);
    field('variant', 0xf);
    field('revision', 0xf);
  }
}
