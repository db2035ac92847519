// Trace a probe: rwmmio lines and the mmiotrace log of the driver binding one PMU.
// Run: node examples/trace-probe.mjs   (after npm run build)
import { MmioTrace } from '@cspmu/mmio';
import { Machine } from '@cspmu/system';

let mmiotrace;
const m = await Machine.boot({
  platform: 'arm-generic',
  installed: [],
  beforeDrivers: (mm) => {
    mmiotrace = new MmioTrace(mm.mmio, mm.kernel);
    mmiotrace.enable();
  },
});
console.log('# mmiotrace of boot (the SMMU PMU reads PMIIDR as 0, so the PMPIDRs follow):');
console.log(
  mmiotrace
    .text()
    .split('\n')
    .filter((l) => / 1 0x5001|MAP .* 1 /.test(l) || l.startsWith('VERSION'))
    .join('\n'),
);
await mmiotrace.disable();

console.log('# rwmmio of unbinding and probing it again:');
const dev = m.bus.device('arm-cs-arch-pmu.1');
await m.bus.deviceReleaseDriver(dev);
m.kernel.trace.enable('rwmmio:rwmmio_read');
m.kernel.trace.enable('rwmmio:rwmmio_write');
await m.bus.attachDevice(dev);
console.log(m.kernel.trace.text());
