// The boots, APMT checks and platform validations whose work blockWork counts: each builds its input for n nodes or devices (or boots n machines first), then returns the run.
import { decodeApmt, loadPlatform, parseApmt, verdictLines } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { WORK_PROBES } from './block-work-probes.js';
import { apmtOf, platformOf } from './platforms.js';

/** An APMT of n nodes, each one edited in place by `edit` (offset of its 56 bytes). */
function editedApmt(n: number, edit: (bytes: Uint8Array, at: number, i: number) => void): Uint8Array {
  const bytes = apmtOf(n);
  for (let i = 0; i < n; i++) edit(bytes, 36 + i * 56, i);
  return bytes;
}

/** Run, expecting a thrown error; its message is what the user sees. */
function refused(run: () => unknown): void {
  try {
    run();
  } catch {
    return;
  }
  throw new Error('expected the input to be refused');
}

/** Boot, check the bus holds `devices` devices, and shut down. */
async function bootAndShutdown(options: Parameters<typeof Machine.boot>[0], devices: number): Promise<void> {
  const m = await Machine.boot(options);
  const onBus = m.bus.allDevices().length;
  await m.shutdown();
  if (onBus !== devices) throw new Error(`booted ${onBus} devices, expected ${devices}`);
}

/** Machines 'boots-after' has booted and shut down so far in this process. */
let chainBoots = 0;
const CHAIN_BATCH = 10;

/** Boot and shut down one small machine; the caller awaits it and never yields in between. */
async function chainBoot(): Promise<void> {
  await bootAndShutdown({ platform: 'arm-generic', installed: [] }, 5);
  chainBoots++;
}

export const WORK_SCENARIOS = {
  ...WORK_PROBES,
  /**
   * Boot and shut down 10 machines after n earlier ones, all in this
   * process's one chain of awaits with no yielding between boots (sizes must
   * grow; no warm-up): work that grows with the machines booted before, in a
   * registry, a cache or a hook every promise runs, makes later boots cost more.
   */
  'boots-after': {
    prepare: async (n: number) => {
      if (chainBoots > n) throw new Error(`${chainBoots} machines already booted, more than ${n}`);
      while (chainBoots < n) await chainBoot();
      return async () => {
        for (let i = 0; i < CHAIN_BATCH; i++) await chainBoot();
      };
    },
  },
  /** Boot an APMT of n nodes (and shut down). */
  'apmt-boot': {
    prepare: (n: number) => {
      const apmt = apmtOf(n);
      return () => bootAndShutdown({ platform: 'arm-generic', apmt, installed: [] }, n);
    },
  },
  /** Boot an APMT whose last node repeats the first node's id and page (its device is not added: EEXIST). */
  'apmt-boot-one-bad': {
    prepare: (n: number) => {
      const apmt = editedApmt(n, (b, at, i) => {
        if (i !== n - 1) return;
        b.copyWithin(at + 4, 36 + 4, 36 + 8);
        b.copyWithin(at + 20, 36 + 20, 36 + 28);
      });
      return () => bootAndShutdown({ platform: 'arm-generic', apmt, installed: [] }, n - 1);
    },
  },
  /**
   * Check an APMT whose every node is bad (an unknown type), the second half
   * repeating the first half's ids and pages, so that finding each repeat by
   * scanning would cost half the table: decode's error and every verdict line.
   */
  'apmt-check-all-bad': {
    prepare: (n: number) => {
      const half = Math.floor(n / 2);
      const bytes = editedApmt(n, (b, at, i) => {
        b[at + 3] = 9;
        const twin = 36 + (i % half) * 56;
        b.copyWithin(at + 4, twin + 4, twin + 8);
        b.copyWithin(at + 20, twin + 20, twin + 28);
      });
      return () => {
        refused(() => decodeApmt(bytes));
        verdictLines(parseApmt(bytes).violations);
      };
    },
  },
  /** Validate a platform of n good devices. */
  platform: {
    prepare: (n: number) => {
      const spec = platformOf(n);
      return () => void loadPlatform(spec);
    },
  },
  /** Boot a platform of n devices from its description (the APMT built from it; and shut down). */
  'platform-boot': {
    prepare: (n: number) => {
      const spec = platformOf(n);
      return () => bootAndShutdown({ platform: spec, installed: [] }, n);
    },
  },
  /** Validate a platform whose last device's page overlaps the first's. */
  'platform-one-bad': {
    prepare: (n: number) => {
      const spec = platformOf(n, (p, i) => {
        if (i === n - 1) p['base0'] = 0x100000000;
      });
      return () => refused(() => loadPlatform(spec));
    },
  },
  /** Validate a platform whose every device has no counters, the second half repeating the first half's labels, ids and pages. */
  'platform-all-bad': {
    prepare: (n: number) => {
      const half = Math.floor(n / 2);
      const spec = platformOf(n, (p, i) => Object.assign(p, { counters: 0, label: `p${i % half}`, id: i % half, base0: 0x100000000 + (i % half) * 0x1000 }));
      return () => refused(() => loadPlatform(spec));
    },
  },
  /** Validate a platform whose every device has a field the schema does not know. */
  'platform-schema-all-bad': {
    prepare: (n: number) => {
      const spec = platformOf(n, (p) => (p['colour'] = 'red'));
      return () => refused(() => loadPlatform(spec));
    },
  },
} as const;

export type WorkScenarioName = keyof typeof WORK_SCENARIOS;
