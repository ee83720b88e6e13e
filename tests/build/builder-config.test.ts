// The electron-builder config loads, passes electron-builder's own schema
// validation, and names files that exist. Installers themselves are built on
// a release machine (electron-builder downloads Electron), see docs/RELEASING.md.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateIcons, icoSizes, linuxSizes } from '../../build/icons/generate';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '../..');
const configPath = join(root, 'build/electron-builder.config.cjs');

type Config = Record<string, unknown> & {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  linux: { target: string[]; icon: string; executableName: string; syncDesktopName: boolean; desktop?: unknown };
  protocols: Array<{ schemes: string[] }>;
  win: { target: Array<{ target: string }>; icon: string };
  mac: { target: Array<{ target: string }>; icon: string; artifactName: string };
  dmg: { artifactName: string };
  deb: { publish: unknown };
  publish: Array<{ provider: string; url: string }> | null;
  electronFuses: Record<string, boolean>;
};

function loadConfig(env: Record<string, string | undefined> = {}): Config {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    delete require.cache[configPath];
    return require(configPath) as Config;
  } finally {
    process.env = saved;
  }
}

describe('electron-builder config', () => {
  it('passes electron-builder’s schema validation', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(loadConfig({ TERN_UPDATE_URL: 'https://updates.example.com/tern/' }), new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...loadConfig(), notAnOption: true }, new DebugLogger(false))).rejects.toThrow(/notAnOption/);
  });

  it('has the product, targets, native rebuild and hardening we rely on', () => {
    const c = loadConfig({ TERN_UPDATE_URL: undefined });
    expect(c.appId).toBe('im.tern.desktop');
    expect(c.productName).toBe('Tern');
    expect(c.linux.target).toEqual(['AppImage', 'deb']);
    expect(c.win.target.map((t) => t.target)).toEqual(['nsis']);
    // macOS updates from the zip (Squirrel.Mac), installs from the dmg; their names differ.
    expect(c.mac.target.map((t) => t.target)).toEqual(['dmg', 'zip']);
    expect(c.mac.artifactName).not.toBe(c.dmg.artifactName);
    // tern:// links are registered with the system; Linux's launcher entry and badge follow desktopName.
    expect(c.protocols.flatMap((p) => p.schemes)).toEqual(['tern']);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { desktopName: string };
    expect(pkg.desktopName).toBe(`${c.linux.executableName}.desktop`);
    expect(c.linux.syncDesktopName).toBe(true);
    expect(JSON.stringify(c.linux.desktop ?? {})).not.toContain('StartupWMClass'); // electron-builder derives it from desktopName
    // Only the AppImage updates itself on Linux: the deb publishes no update metadata.
    expect(c.deb.publish).toBeNull();
    expect(c.npmRebuild).toBe(true);
    expect(c.asarUnpack.join(' ')).toContain('better-sqlite3');
    expect(c.files).toContain('out/**/*');
    expect(c.electronFuses).toMatchObject({ runAsNode: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
    expect(c.publish).toBeNull();
    expect(loadConfig({ TERN_UPDATE_URL: 'https://updates.example.com/tern/' }).publish).toEqual([{ provider: 'generic', url: 'https://updates.example.com/tern/' }]);
  });

  it('points at icons that exist, and the dist script uses this config', () => {
    const c = loadConfig();
    for (const icon of [c.linux.icon, c.win.icon, c.mac.icon]) expect(existsSync(join(root, icon)), icon).toBe(true);
    for (const size of linuxSizes) expect(existsSync(join(root, c.linux.icon, `${size}x${size}.png`))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; main: string };
    expect(pkg.scripts.dist).toContain('--config build/electron-builder.config.cjs');
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('generates every icon from the one source, deterministically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tern-icons-'));
    try {
      const files = generateIcons(dir, { skipLarge: true });
      expect(files).toContain('icon.svg');
      expect(files).toContain('icon.ico');
      const ico = readFileSync(join(dir, 'icon.ico'));
      expect(ico.readUInt16LE(2)).toBe(1);
      expect(ico.readUInt16LE(4)).toBe(icoSizes.length);
      const png = readFileSync(join(dir, 'png/256x256.png'));
      expect(png.readUInt32BE(16)).toBe(256);
      // The committed icons are what the generator produces.
      expect(png.equals(readFileSync(join(root, 'build/icons/png/256x256.png')))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the release workflow builds on Node 22, smoke-tests the packed app before the installers, then signs', () => {
    const yaml = require('js-yaml') as { load(text: string): unknown };
    const wf = yaml.load(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8')) as { jobs: { installers: { steps: Array<{ run?: string; with?: Record<string, unknown> }> } } };
    const steps = wf.jobs.installers.steps;
    expect(steps.find((s) => s.with?.['node-version'] !== undefined)?.with?.['node-version']).toBe(22);
    const runs = steps.map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const testBuild = at(/npm run dist -- --dir .*enableNodeCliInspectArguments=true/);
    const smoke = at(/vitest run --project packaged/);
    const installers = at(/^npm run dist -- --publish never$/);
    const sign = at(/release-signing\.ts sign dist/);
    const verify = at(/release-signing\.ts verify/);
    expect([testBuild, smoke, installers, sign, verify].every((i) => i >= 0)).toBe(true);
    expect(testBuild < smoke && smoke < installers && installers < sign && sign < verify).toBe(true);
  });
});
