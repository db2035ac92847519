// The words for a failed try_module_get, shared by every path that takes a module reference (perf open, driver probe).

/**
 * Why try_module_get refused module `m`: it is unloading, or a module_put too
 * many took its base reference (its count reads -1). Each caller says what it
 * was doing and keeps its own errno (open ENODEV, arm_cspmu's probe EINVAL);
 * the reason reads the same whichever path met it.
 */
export function moduleGetRefusal(m: { readonly name: string; readonly refs: number } | undefined): string {
  const why = m !== undefined && m.refs < 0 ? 'has no reference left to take: a module_put too many dropped its base reference' : 'is going away';
  return `module ${m?.name ?? ''} ${why}`;
}
