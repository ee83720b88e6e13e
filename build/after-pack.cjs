// electron-builder afterPack hook: refuse to make installers from a packed app
// whose native modules do not match Electron's ABI or that ships dead weight
// (build/packed-app-check.cjs).
'use strict';
const { checkPackedApp } = require('./packed-app-check.cjs');

exports.default = async function afterPack(context) {
  const packager = context.packager;
  const electronVersion = packager.config.electronVersion || packager.info.framework.version;
  const result = checkPackedApp({
    appOutDir: context.appOutDir,
    platform: context.electronPlatformName,
    productName: packager.appInfo.productFilename,
    electronVersion,
  });
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  console.log(`  • packed app check  asar=${mb(result.sizes.asar)} unpacked=${mb(result.sizes.unpacked)} native=${result.nativeModules.map((m) => `${m.path}@${m.abi}`).join(',')}`);
  if (result.problems.length > 0) {
    throw new Error(`packed app check failed (build/packed-app-check.cjs):\n  - ${result.problems.join('\n  - ')}`);
  }
};
