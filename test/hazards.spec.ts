// Injected hazards: each known bug, booted on purpose, is caught by the check the kernel would use.
import { expect } from 'chai';
import { INJECTED_HAZARDS } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { rejects } from './helpers/errors.js';

describe('Injected hazards', () => {
  it('boots with the named hazards and refuses unknown names with EINVAL listing the known ones', async () => {
    const m = await Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy', 'double-module-put'] });
    expect([...m.kernel.inject].sort()).to.deep.equal(['double-module-put', 'reprobe-in-destroy']);
    const plain = await Machine.boot({ platform: 'grace', installed: [] });
    expect(plain.kernel.inject.size).to.equal(0);
    const err = await rejects(Machine.boot({ platform: 'grace', installed: [], inject: ['reprobe-in-destroy', 'use-after-free' as never] }));
    expect(err.code).to.equal('EINVAL');
    expect(err.message).to.contain("unknown injected hazard 'use-after-free'");
    for (const h of INJECTED_HAZARDS) expect(err.message).to.contain(h);
  });
});
