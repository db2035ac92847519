// Tests of an APMT's header and its last node: a wrong signature, and a node too short for its fields, each refused by decode or boot.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { apmtForBoot, decodeApmt, formatViolation, parseApmt } from '../src/index.js';
import { fixChecksum, graceApmt } from './helpers.js';

const at = (node: number, off: number) => 36 + 56 * node + off;

describe('APMT header and table end', () => {
  it('reports a wrong signature as a failure, which decode and boot both refuse', () => {
    const b = graceApmt();
    b.set([0x46, 0x41, 0x43, 0x50], 0);
    fixChecksum(b);
    expect(parseApmt(b).violations.map((x) => [x.severity, x.code, x.field, x.message])).to.deep.equal([
      ['failure', 'APMT_SIGNATURE', 'header.signature', "signature is 'FACP', expected 'APMT'"],
    ]);
    const why = "header.signature: signature is 'FACP', expected 'APMT' [APMT_SIGNATURE]";
    expect(() => decodeApmt(b)).to.throw(KernelError, `EINVAL: APMT is invalid (1 failure(s)): ${why}`);
    expect(() => apmtForBoot(b)).to.throw(KernelError, `EINVAL: APMT cannot be booted (1 problem(s)): ${why}`);
  });

  it('reports a last node too short for its fields as a warning, which boot refuses, never reading past the table', () => {
    const end = at(2, 20);
    const b = graceApmt().slice(0, end);
    new DataView(b.buffer).setUint32(4, end, true);
    b[at(2, 0)] = 20;
    fixChecksum(b);
    const why = 'node 2 length: node length is 20, must be 56; its fields run past the end of the table [APMT_NODE_TRUNCATED]';
    expect(parseApmt(b).violations.map(formatViolation)).to.deep.equal([why]);
    expect(parseApmt(b).table!.nodes).to.have.length(2);
    expect(() => apmtForBoot(b)).to.throw(KernelError, `EINVAL: APMT cannot be booted (1 problem(s)): ${why}`);
  });
});
