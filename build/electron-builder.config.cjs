// electron-builder configuration (npm run dist). Installers are built on a
// release machine with internet (electron-builder downloads Electron and its
// packaging tools); see docs/RELEASING.md. Validated by tests/build/builder-config.test.ts.
//
// Build-time environment:
//   TERN_UPDATE_URL  generic-provider feed (https://updates.example.com/tern/); also compiled
//                    into the main process by electron.vite.config.ts. Unset: no auto-update.
const updateUrl = process.env.TERN_UPDATE_URL || '';

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'im.tern.desktop',
  productName: 'Tern',
  copyright: 'Copyright © Tern contributors',
  directories: { output: 'dist', buildResources: 'build' },
  // What ships: the three bundles and the `dependencies` of package.json (electron-builder adds those
  // from node_modules). `dependencies` is exactly what the main bundle loads at run time (native modules,
  // and the few packages that do not bundle well); everything else, the renderer (bundled by Vite), the
  // server, the web shell and the tools, is a devDependency (tests/build/packaging.test.ts checks both).
  files: [
    'out/**/*',
    // The compiled IM server (npm run build:server) is a product of its own, not part of the app.
    '!out/server/**',
    'package.json',
    '!**/*.map',
    // A native module needs only its JavaScript and build/Release/*.node at run time: not its C sources,
    // the SQLite amalgamation, or the objects and makefiles of a source build.
    '!**/node_modules/better-sqlite3*/{deps,src,docs,benchmark,test}/**',
    '!**/node_modules/*/build/{deps,node_gyp_bins}/**',
    '!**/node_modules/*/build/{Makefile,config.gypi,*.mk,binding.sln,*.vcxproj*}',
    '!**/node_modules/*/build/{Release,Debug}/{obj,obj.target,.deps}/**',
    '!**/node_modules/*/build/{Release,Debug}/{test_extension.node,*.a,*.lib,*.exp,*.pdb,*.iobj,*.ipdb}',
    '!**/node_modules/*/binding.gyp',
  ],
  // Packed-app check: native modules built for Electron's ABI, no dead weight (build/packed-app-check.cjs).
  afterPack: 'build/after-pack.cjs',
  asar: true,
  // The native SQLite addon cannot be loaded from inside the asar archive.
  asarUnpack: ['**/node_modules/better-sqlite3*/**', '**/*.node'],
  // Rebuild native modules (better-sqlite3-multiple-ciphers: SQLite with SQLCipher's format) against Electron's ABI with @electron/rebuild;
  // prebuilt binaries are used when available, otherwise it compiles from source.
  npmRebuild: true,
  buildDependenciesFromSource: false,
  nodeGypRebuild: false,
  // Hardening of the packaged binary (Electron fuses).
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
  },
  icon: 'build/icons/icon.png',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Network;InstantMessaging;Chat',
    icon: 'build/icons/png',
    maintainer: 'Tern contributors <maintainers@tern.invalid>',
    synopsis: 'A fast, reliable desktop messenger',
    executableName: 'tern',
    // package.json's desktopName (tern.desktop) names the .desktop file and, in Electron, the window's
    // app_id / WM_CLASS and the launcher entry that app.setBadgeCount updates (Unity LauncherEntry).
    syncDesktopName: true,
  },
  // tern:// links: macOS Info.plist, Linux .desktop MimeType (x-scheme-handler/tern; Exec gets %U);
  // Windows registers at run time (app.setAsDefaultProtocolClient). electron/main/deep-link.ts parses them.
  protocols: [{ name: 'Tern link', schemes: ['tern'] }],
  // The deb is updated by the system's package manager, never by the app: it writes no app-update.yml and
  // stays out of latest-linux.yml (only the AppImage updates itself; electron/main/updater.ts).
  deb: { priority: 'optional', publish: null },
  appImage: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  win: {
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    icon: 'build/icons/icon.ico',
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    deleteAppDataOnUninstall: false,
    artifactName: '${productName}-Setup-${version}.${ext}',
  },
  mac: {
    // dmg to install, zip for electron-updater (Squirrel.Mac updates from the zip only).
    target: [
      { target: 'dmg', arch: ['x64', 'arm64'] },
      { target: 'zip', arch: ['x64', 'arm64'] },
    ],
    category: 'public.app-category.social-networking',
    hardenedRuntime: true,
    // The zip's name (the dmg has its own below).
    artifactName: '${productName}-${version}-${arch}-mac.${ext}',
    icon: 'build/icons/icon.png',
  },
  dmg: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  // Channel files (latest.yml, beta.yml) for electron-updater's generic provider.
  generateUpdatesFilesForAllChannels: true,
  publish: updateUrl ? [{ provider: 'generic', url: updateUrl }] : null,
};
