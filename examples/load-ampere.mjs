// An out-of-tree backend (examples/ampere-backend, its own package) loaded by name at runtime.
// Run: node examples/load-ampere.mjs   (after npm run build)
import { Machine } from '@cspmu/system';

const m = await Machine.boot({ platform: 'ampereone', installed: [] });
console.log(
  'without the plugin:',
  m.driver
    .bindings()
    .map((b) => `${b.pmu} (${b.backend})`)
    .join(', '),
);
// A fresh machine where the plugin is installed: the driver requests it itself and defers the probes.
const m2 = await Machine.boot({ platform: 'ampereone' });
console.log(
  'with the plugin:   ',
  m2.driver
    .bindings()
    .map((b) => `${b.pmu} (${b.backend})`)
    .join(', '),
);
const [a] = m2.open('ampere_mcu_pmu_0/act_sent,bank=5,rank=3,threshold=2/');
// ampere-dram: act_sent 2e8/s over both ranks; banks 0 and 2 (bank=5) carry a quarter of it, so 50000 in 1 ms.
m2.advance(1_000_000);
console.log(`act_sent on ampere_mcu_pmu_0: ${m2.perf.read(a).value}`);
try {
  m2.open('{ampere_mcu_pmu_1/act_sent,bank=5/,ampere_mcu_pmu_1/rd_sent,bank=4/}');
} catch (err) {
  console.log(`mixing filters in one PMU: ${err.message}`);
}
