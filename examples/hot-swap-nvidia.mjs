// Hot-swap the NVIDIA backend under live events, printing lifecycle events as they happen.
// Run: node examples/hot-swap-nvidia.mjs   (after npm run build)
import { Machine } from '@cspmu/system';

const m = await Machine.boot({ platform: 'grace' });
const show = new Set([
  'module:loaded',
  'module:unloaded',
  'backend:registered',
  'backend:unregistered',
  'cspmu:reprobe-pending',
  'cspmu:reprobe',
  'cspmu:bound',
  'event:freed',
]);
const t = () => `${(m.clock.now() / 1e6).toFixed(3).padStart(8)} ms`;
for (const name of show) m.kernel.lifecycle.on(name, (p) => console.log(`${t()}  ${name.padEnd(22)} ${JSON.stringify(p)}`));

console.log('# unload nvidia: every PMU falls back to the generic backend');
await m.unload('nvidia_cspmu');
const generic = m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.4').pmu;
console.log(`# open an event on ${generic} and let it count`);
const [e] = m.open(`${generic}/event=0x0,filter=0x4/`);
m.advance(2_000_000);
console.log('# load nvidia while the event runs: idle PMUs move at once, the busy one waits');
await m.load('@cspmu/nvidia');
m.advance(2_000_000);
console.log(`# ${generic} counted ${m.perf.read(e).value} bytes on root port 2 without a gap`);
await m.perf.close(e);
await m.settle();
console.log(
  `# now: ${m.driver
    .bindings()
    .map((b) => b.pmu)
    .join(', ')}`,
);
console.log(`# use-after-free reports (KASAN): ${m.kernel.kasan.reports.length}, accesses through released mappings: ${m.mmio.violations.length}`);
