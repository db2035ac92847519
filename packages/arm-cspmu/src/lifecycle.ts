// The lifecycle events the arm_cspmu layer adds: bindings, backend requests and registrations, reprobes and counter overflows.
declare module '@cspmu/kernel' {
  interface LifecycleEventMap {
    'cspmu:bound': { device: string; pmu: string; backend: string; pmiidr: string };
    'cspmu:backend-requested': { device: string; module: string };
    'cspmu:reprobe-pending': { device: string; events: number; backend: string };
    'cspmu:reprobe': { device: string; reason: string };
    'backend:registered': { backend: string; module: string };
    'backend:unregistered': { backend: string; module: string };
    /** A counter overflowed and the interrupt handler folded it into its event's count. */
    'cspmu:overflow': { device: string; pmu: string; counter: number; event: number };
  }
}

export {};
