// Checks a packed app (electron-builder's appOutDir) before it becomes an
// installer; run by the afterPack hook (build/after-pack.cjs) and by the tests.
//
// 1. Every native module (*.node) was built for Electron's ABI, not for the
//    Node that ran `npm ci`: a module built for Node 20 (ABI 115) loaded by
//    Electron 45 (ABI 150) kills the app at start with "was compiled against
//    a different Node.js version". The ABI is read from the binary itself:
//    V8-API addons export `node_register_module_v<ABI>`; N-API addons export
//    `napi_register_module_v1` and load under any ABI.
// 2. No native module sits inside app.asar (it cannot be loaded from there).
// 3. No dead weight: native module sources and build objects, source maps,
//    packages the renderer bundle already contains.
//
// Plain CommonJS so electron-builder can load it without a TypeScript loader.
'use strict';
const { readdirSync, readFileSync, statSync, existsSync } = require('node:fs');
const { join, relative, sep } = require('node:path');
const { createRequire } = require('node:module');

/** Paths inside the app (asar or unpacked) that must never ship, with the reason. */
const forbidden = [
  [/\/node_modules\/[^/]*sqlite3[^/]*\/(deps|src|docs|benchmark|test)\//, 'native module sources'],
  [/\/node_modules\/[^/]*\/build\/(Release|Debug)\/(obj|obj\.target|\.deps)\//, 'native build objects'],
  [/\/node_modules\/[^/]*\/build\/(Release|Debug)\/[^/]*\.(a|lib)$/, 'native build objects'],
  [/\/node_modules\/[^/]*\/build\/(Makefile|config\.gypi|[^/]*\.mk)$/, 'native build files'],
  [/\/node_modules\/[^/]*\/build\/(Release|Debug)\/test_extension\.node$/, 'a test extension'],
  [/\/node_modules\/[^/]*\/build\/deps\//, 'native dependency builds'],
  [/\.map$/, 'a source map'],
  [/\/node_modules\/(vue|@vue|pinia|vue-i18n|@intlify|@tanstack|@fontsource|linkify-it)\//, 'a renderer package (the renderer bundle contains it)'],
];

/** The ABI a native module was built for: a number, 'napi', or null if it does not say. */
function nativeModuleAbi(buffer) {
  const text = buffer.toString('latin1');
  const v8 = /node_register_module_v(\d+)/.exec(text);
  if (v8) return Number(v8[1]);
  if (text.includes('napi_register_module_v1')) return 'napi';
  return null;
}

/** NODE_MODULE_VERSION of an Electron version, from the node-abi that @electron/rebuild builds with. */
function electronAbi(electronVersion) {
  let nodeAbi;
  try {
    nodeAbi = createRequire(require.resolve('@electron/rebuild'))('node-abi');
  } catch {
    nodeAbi = require('node-abi');
  }
  return Number(nodeAbi.getAbi(electronVersion, 'electron'));
}

function resourcesDir(appOutDir, platform, productName) {
  return platform === 'darwin' || platform === 'mas' ? join(appOutDir, `${productName}.app`, 'Contents', 'Resources') : join(appOutDir, 'resources');
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/**
 * Returns { problems: string[], nativeModules: Array<{ path, abi }>, asarFiles: number, sizes }.
 * `expectedAbi` defaults to Electron's for `electronVersion`.
 */
function checkPackedApp({ appOutDir, platform, productName, electronVersion, expectedAbi }) {
  const asar = require('@electron/asar');
  const resources = resourcesDir(appOutDir, platform, productName);
  const archive = join(resources, 'app.asar');
  const unpacked = join(resources, 'app.asar.unpacked');
  const problems = [];
  if (!existsSync(archive)) return { problems: [`no app.asar in ${resources}`], nativeModules: [], asarFiles: 0, sizes: { asar: 0, unpacked: 0 } };

  const inAsar = asar.listPackage(archive, { isPack: false }).map((p) => p.split(sep).join('/'));
  const unpackedFiles = existsSync(unpacked) ? walk(unpacked) : [];
  const unpackedRel = unpackedFiles.map((f) => `/${relative(unpacked, f).split(sep).join('/')}`);
  const header = asar.getRawHeader(archive).header;
  const isUnpackedInAsar = (p) => {
    let node = header;
    for (const part of p.split('/').filter(Boolean)) node = node && node.files && node.files[part];
    return Boolean(node && node.unpacked);
  };

  // One line per reason and package, with a count: a whole package can be thousands of paths.
  const dead = new Map();
  for (const p of [...inAsar, ...unpackedRel]) {
    const hit = forbidden.find(([re]) => re.test(p));
    if (!hit) continue;
    const pkg = /^(.*?\/node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(p);
    const key = `${hit[1]}: ${pkg ? pkg[1] : p}`;
    dead.set(key, (dead.get(key) || 0) + 1);
  }
  for (const [key, n] of dead) problems.push(`ships ${key}${n > 1 ? ` (${n} paths)` : ''}`);
  for (const p of inAsar) {
    if (p.endsWith('.node') && !isUnpackedInAsar(p)) problems.push(`native module inside app.asar (cannot load): ${p}`);
  }

  const abi = expectedAbi ?? electronAbi(electronVersion);
  const nativeModules = [];
  for (const file of unpackedFiles.filter((f) => f.endsWith('.node'))) {
    const found = nativeModuleAbi(readFileSync(file));
    const path = `/${relative(unpacked, file).split(sep).join('/')}`;
    nativeModules.push({ path, abi: found });
    if (found === null) problems.push(`cannot tell which ABI ${path} was built for`);
    else if (found !== 'napi' && found !== abi) problems.push(`${path} was built for ABI ${found}, but Electron ${electronVersion} needs ABI ${abi} (rebuild it for Electron: npmRebuild / @electron/rebuild)`);
  }
  const sizes = { asar: statSync(archive).size, unpacked: unpackedFiles.reduce((n, f) => n + statSync(f).size, 0) };
  return { problems, nativeModules, asarFiles: inAsar.length, sizes };
}

module.exports = { checkPackedApp, nativeModuleAbi, electronAbi, forbidden };
