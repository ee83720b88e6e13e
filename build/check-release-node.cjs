// `npm run dist` starts here: release builds need a newer Node than
// development does. Electron 45's packaging tools (electron, @electron/get,
// @electron/rebuild, node-abi 4) require Node >= 22.12; development, tests and
// the server run on Node >= 20.19 (package.json `engines`). See docs/RELEASING.md.
'use strict';

const RELEASE_NODE = '22.12.0';

/** True when `version` (e.g. "v20.20.2" or "22.12.0") is at least `min`. */
function atLeast(version, min) {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
}

module.exports = { RELEASE_NODE, atLeast };

if (require.main === module) {
  if (!atLeast(process.version, RELEASE_NODE)) {
    console.error(
      `npm run dist needs Node ${RELEASE_NODE} or newer (Electron's packaging tools require it); this is Node ${process.version}.\n` +
        'Development, tests and the server are fine on Node 20.19+; build releases on Node 22 (see docs/RELEASING.md).',
    );
    process.exit(1);
  }
}
