// The platform and workload validators are ajv's standalone code, generated from today's schemas, and importing @cspmu/hw compiles none.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

/** packages/hw, from dist/test. */
const HW = new URL('../../', import.meta.url);

describe('Schema validators', function () {
  this.timeout(60000);

  it('are what ajv generates from the schemas now: a schema edited without `npm run gen:validators` fails here', async () => {
    const script = new URL('scripts/gen-validators.mjs', HW).href;
    const { GENERATED, validatorsSource } = (await import(script)) as { GENERATED: string; validatorsSource: () => Promise<string> };
    expect(readFileSync(GENERATED, 'utf8') === (await validatorsSource()), `${GENERATED} is stale: run npm run gen:validators`).to.equal(true);
  });

  it("are loaded without ajv's compiler: importing @cspmu/hw loads only ajv's runtime helpers", () => {
    // ajv is CommonJS, so whatever of it a process loads is in the require cache, ESM importers included.
    const child = `
      await import(process.argv[1]);
      const { createRequire } = await import('node:module');
      const cache = createRequire(import.meta.url).cache;
      console.log(JSON.stringify(Object.keys(cache).filter((f) => f.includes('/node_modules/ajv/')).map((f) => f.slice(f.indexOf('/ajv/')))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, new URL('dist/src/index.js', HW).href], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const loaded = JSON.parse(r.stdout) as string[];
    expect(loaded.filter((f) => !f.startsWith('/ajv/dist/runtime/'))).to.deep.equal([]);
    expect(loaded, 'the generated code should need the code-point string length').to.include('/ajv/dist/runtime/ucs2length.js');
  });
});
