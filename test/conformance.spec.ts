// Runs the backend conformance suite against NVIDIA, Arm generic (with and without EXT64) and the Ampere example.
import { runBackendConformance } from '@cspmu/testkit';

runBackendConformance({
  describe,
  it,
  backend: { module: 'nvidia_cspmu', package: '@cspmu/nvidia', name: 'nvidia_cspmu' },
  platform: 'grace',
  alsoInstalled: ['@cspmu/arm-generic'],
});

runBackendConformance({
  describe,
  it,
  backend: { module: 'arm_generic_cspmu', package: '@cspmu/arm-generic', name: ['arm_cspmu_arm', 'arm_cspmu_generic'] },
  platform: 'arm-generic',
});

runBackendConformance({
  describe,
  it,
  backend: { module: 'ampere_cspmu', package: 'cspmu-ampere-backend', name: 'ampere_cspmu' },
  platform: 'ampereone',
  supports: { cycleCounter: true },
});

runBackendConformance({
  describe,
  it,
  backend: { module: 'arm_generic_cspmu', package: '@cspmu/arm-generic', name: ['arm_cspmu_arm', 'arm_cspmu_generic'] },
  platform: 'arm-generic',
  ext64: true,
});
