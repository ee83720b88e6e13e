// Proves the layer rules of eslint.config.js fire: each case lints a snippet
// as if it lived in a given folder and expects (or not) a restricted-import error.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports').length;
}

const cases: Array<[file: string, code: string, allowed: boolean]> = [
  ['shared/protocol/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;", false],
  ['shared/protocol/x.ts', "import { app } from 'electron';\nexport const a = app;", false],
  ['shared/protocol/x.ts', "import { a } from '../node/noise/handshake';\nexport const b = a;", false],
  ['shared/protocol/x.ts', "import { ref } from 'vue';\nexport const b = ref;", false],
  ['shared/protocol/x.ts', "import { encodeFrame } from './frame';\nexport const b = encodeFrame;", true],
  ['shared/node/x.ts', "import { createHash } from 'node:crypto';\nexport const a = createHash;", true],
  ['shared/node/x.ts', "import { app } from 'electron';\nexport const a = app;", false],
  ['server/x.ts', "import { app } from 'electron';\nexport const a = app;", false],
  ['server/x.ts', "import { Core } from '../electron/core/core';\nexport const a = Core;", false],
  ['electron/core/x.ts', "import { app } from 'electron';\nexport const a = app;", false],
  ['electron/core/x.ts', "import Database from 'better-sqlite3';\nexport const a = Database;", true],
  ['electron/core/x.ts', "import { start } from '../../server/main';\nexport const a = start;", false],
  ['electron/main/x.ts', "import { app } from 'electron';\nexport const a = app;", true],
  ['electron/main/x.ts', "import { x } from '../../renderer/app';\nexport const a = x;", false],
  ['electron/preload/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;", false],
  ['electron/preload/x.ts', "import { Core } from '../core/core';\nexport const a = Core;", false],
  ['electron/preload/x.ts', "import { callChannel } from '../../shared/ipc/channels';\nexport const a = callChannel;", true],
  ['electron/web-shell/x.ts', "import { app } from 'electron';\nexport const a = app;", false],
  ['electron/host/x.ts', "import { badgeState } from '../main/badge';\nexport const a = badgeState;", false],
  ['electron/web-shell/x.ts', "import { createCore } from '../core';\nexport const a = createCore;", false],
  ['electron/host/x.ts', "import { createCore } from '../core/index';\nexport const a = createCore;", false],
  ['electron/host/x.ts', "import type { ClientCore } from '../core/core';\nexport type A = ClientCore;", true],
  ['electron/host/x.ts', "import { logLevels } from '../core/thread/protocol';\nexport const a = logLevels;", true],
  ['electron/main/x.ts', "import { createCore } from '../core';\nexport const a = createCore;", false],
  ['electron/main/x.ts', "import type { ClientCore } from '../core/core';\nexport type A = ClientCore;", false],
  ['electron/main/x.ts', "import { startCoreThread } from '../host/core-thread';\nexport const a = startCoreThread;", true],
  ['electron/core/x.ts', "import { createDispatcher } from '../host/dispatch';\nexport const a = createDispatcher;", false],
  ['electron/core/x.ts', "import { startWebShell } from '../web-shell';\nexport const a = startWebShell;", false],
  ['electron/main/x.ts', "import { callChannel } from '../preload/channels';\nexport const a = callChannel;", false],
  ['electron/main/x.ts', "import { callChannel } from '../../shared/ipc/channels';\nexport const a = callChannel;", true],
  ['electron/main/x.ts', "import { startWebShell } from '../web-shell';\nexport const a = startWebShell;", false],
  ['renderer/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;", false],
  ['renderer/x.ts', "import { Core } from '../electron/core/core';\nexport const a = Core;", false],
  ['renderer/x.ts', "import { noise } from '../shared/node/noise';\nexport const a = noise;", false],
  ['renderer/x.ts', "import { encodeFrame } from '../shared/protocol/frame';\nexport const a = encodeFrame;", true],
];

describe('layer rules', () => {
  it.each(cases)('%s: %s (allowed: %s)', async (file, code, allowed) => {
    const errors = await restrictedImportErrors(file, code);
    expect(errors > 0).toBe(!allowed);
  });
});
