// The lifecycle events the perf core adds: PMU registration, event open, close and free, and context migration.
declare module '@cspmu/kernel' {
  interface LifecycleEventMap {
    'pmu:registered': { pmu: string; type: number };
    'pmu:unregistered': { pmu: string; type: number };
    'event:opened': { id: number; pmu: string; cpu: number; config: string };
    'event:closed': { id: number; pmu: string };
    'event:freed': { id: number; pmu: string };
    'pmu:migrated': { pmu: string; from: number; to: number; events: number };
  }
}

export {};
