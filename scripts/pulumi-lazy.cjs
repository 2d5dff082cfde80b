/**
 * Pulumi's SDK defers, until first used, the two modules it loads only to serialize JavaScript
 * functions into a program (its runtime/closure, and the experimental provider analyzer): the
 * TypeScript compiler (through `typescript-shim.js`, which finds this repository's own
 * `typescript`) and `@npmcli/arborist` (with pacote and sigstore, to find a function's
 * packages). @pulumi/pulumi 3.248.0 requires both when it loads, which is about 0.9 s of its
 * 1.2 s start on the two-core machine, for a feature the platform's programs never use: they
 * declare resources, they serialize no function.
 *
 * What its modules get instead is a stand-in that loads the real module at its first property
 * read and hands that on, so a program that does serialize a function still works (the test
 * runs one). The stand-in says it is an ES module (`__esModule`) so that TypeScript's
 * `__importStar` keeps it instead of copying every property at once; the SDK's code reads
 * named properties only (`ts.forEachChild`, `arborist.Arborist`).
 *
 * Loaded by the commands' TypeScript loader (scripts/ts-require.cjs: `npm run plan`, the Pulumi
 * program) and by every test worker (testing/worker-setup.ts). Plain JavaScript, as that loader.
 */
'use strict';
const Module = require('node:module');
const path = require('node:path');

const INSTALLED = Symbol.for('platform.pulumi-lazy');

/** The SDK's own files, which alone get stand-ins. */
const SDK = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
/** The modules deferred, by the request that names them (any other request is left alone). */
const DEFERRED = (request) =>
  request === '@npmcli/arborist' || request.endsWith('/typescript-shim');

/** A stand-in for the module that `load` returns, loading it at the first property read. */
function deferred(load) {
  let real;
  const module = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (key === '__esModule' ? true : Reflect.get(module(), key)),
      has: (_, key) => key === '__esModule' || Reflect.has(module(), key),
    },
  );
}

if (globalThis[INSTALLED] !== true) {
  globalThis[INSTALLED] = true;
  const load = Module._load;
  Module._load = function loadDeferred(request, parent, isMain) {
    if (parent?.filename?.includes(SDK) === true && DEFERRED(request)) {
      return deferred(() => load.call(this, request, parent, isMain));
    }
    return load.call(this, request, parent, isMain);
  };
}
