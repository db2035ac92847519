// Which upstream driver the emulation behaves as (Linux 7.3 or 6.12), and which cspmu proposals beyond upstream are on.
import { DEFAULT_KERNEL_VERSION, type KernelVersion, kerr, parseKernelVersion } from '@cspmu/kernel';

/** Additions beyond upstream, off unless asked for: `events/*.unit|scale` files, and `_1` names instead of a failed duplicate probe. */
export const PROPOSALS = ['units', 'unique-names'] as const;
export type Proposal = (typeof PROPOSALS)[number];

/** How a machine or driver is told which upstream to follow. */
export interface VersionOptions {
  /** The upstream driver to behave as: '7.3' (default) or '6.12'. */
  readonly kernelVersion?: KernelVersion;
  /** cspmu's additions beyond upstream, off by default: 'units' (events/*.unit|scale), 'unique-names' (`_1` instead of EEXIST). */
  readonly proposed?: readonly Proposal[];
}

/** The driver's configuration as far as upstream fidelity goes. */
export interface DriverProfile {
  readonly kernelVersion: KernelVersion;
  readonly proposed: ReadonlySet<Proposal>;
  /** 7.3: PMIIDR = 0 is rebuilt from PMPIDR0-4; 6.12 leaves it 0. */
  readonly pmpidrFallback: boolean;
  /** 7.3: the generic `filter2` format and PMEVFILT2R write. */
  readonly filter2: boolean;
  /** 7.3: generic names from the APMT node; 6.12: one probe counter per node type. */
  readonly namesFromApmt: boolean;
  /** 7.3: every probe tests for FEAT_CSPMU_EXT64 before reading PMCFGR. */
  readonly ext64Probe: boolean;
}

export function parseProposals(v: unknown, where = 'proposed'): Proposal[] {
  if (v === undefined) return [];
  const list =
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '')
      : v;
  if (!Array.isArray(list)) throw kerr('EINVAL', `${where} must be a list of proposals (${PROPOSALS.join(', ')})`);
  for (const p of list) {
    if (!(PROPOSALS as readonly unknown[]).includes(p)) throw kerr('EINVAL', `${where}: '${String(p)}' is not a proposal; known: ${PROPOSALS.join(', ')}`);
  }
  return [...new Set(list as Proposal[])];
}

export function driverProfile(opts: { kernelVersion?: unknown; proposed?: unknown } = {}): DriverProfile {
  const kernelVersion = parseKernelVersion(opts.kernelVersion ?? DEFAULT_KERNEL_VERSION);
  const newer = kernelVersion === '7.3';
  return {
    kernelVersion,
    proposed: new Set(parseProposals(opts.proposed)),
    pmpidrFallback: newer,
    filter2: newer,
    namesFromApmt: newer,
    ext64Probe: newer,
  };
}

/** A PMU name as asked for (a clash then fails the probe with EEXIST, as upstream), or with the 'unique-names' proposal `base_<k>`. */
export function pmuName(profile: DriverProfile, base: string, taken: (name: string) => boolean): string {
  if (!profile.proposed.has('unique-names') || !taken(base)) return base;
  for (let k = 1; ; k++) if (!taken(`${base}_${k}`)) return `${base}_${k}`;
}
