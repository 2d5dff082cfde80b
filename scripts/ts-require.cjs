/**
 * The TypeScript loader of the repository's commands (`node --require ./scripts/ts-require.cjs
 * file.ts`: `npm run synth`, plan, preflight, bench, import, the Pulumi program): a CommonJS hook
 * for `.ts` files only that compiles each file once with esbuild, without type-checking (`npm
 * test` type-checks), and keeps the JavaScript in node_modules/.cache/, keyed on the file's
 * content and the compiler's settings. Every later start reads the cached JavaScript: esbuild is
 * not even loaded. Unlike tsx it leaves every other module (all of node_modules) to Node itself,
 * and it installs no source-map support: the output carries an inline source map, used only when
 * Node is asked to (`NODE_OPTIONS=--enable-source-maps`), so that formatting a stack trace (Pulumi
 * captures one per resource and per promise) stays cheap.
 *
 * It also loads scripts/pulumi-lazy.cjs, which defers what Pulumi's SDK loads only to serialize
 * functions (0.9 s of its start).
 *
 * Plain JavaScript, so that it needs no loader itself.
 */
'use strict';
require('./pulumi-lazy.cjs');
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE =
  process.env.PLATFORM_TS_CACHE ?? path.join(ROOT, 'node_modules', '.cache', 'ts-require');
// Read, not required: esbuild itself is loaded only when a file has to be compiled.
const ESBUILD_VERSION = JSON.parse(
  fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8'),
).version;
// tsconfig.json's compiler options decide how esbuild compiles class fields and imports.
const TSCONFIG = JSON.stringify({
  compilerOptions: JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'))
    .compilerOptions,
});
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  platform: 'node',
  sourcemap: 'inline',
  sourcesContent: false,
  tsconfigRaw: TSCONFIG,
};
// Anything that changes the output changes the key.
const SALT = JSON.stringify([ESBUILD_VERSION, OPTIONS, 1]);

let esbuild;

/** The JavaScript of `file` (its TypeScript `source`), from the cache or compiled now. */
function compiled(source, file) {
  const key = crypto.createHash('sha256').update(SALT).update(file).update('\0').update(source);
  const cached = path.join(CACHE, `${key.digest('hex')}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // Not compiled yet.
  }
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: file });
  // Written under a unique name, then renamed: concurrent starts never read half a file.
  fs.mkdirSync(CACHE, { recursive: true });
  const partial = `${cached}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(partial, code);
  fs.renameSync(partial, cached);
  return code;
}

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(compiled(fs.readFileSync(filename, 'utf8'), filename), filename);
};
