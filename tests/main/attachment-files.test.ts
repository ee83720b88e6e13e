import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttachmentFiles } from '../../electron/main/attachment-files';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(dialogAnswer: (defaultPath: string) => string | undefined, openFailure = '') {
  const root = mkdtempSync(join(tmpdir(), 'tern-files-'));
  dirs.push(root);
  const downloadsDir = join(root, 'Downloads', 'Tern');
  const log: string[] = [];
  const files = new AttachmentFiles({
    // The core decrypts into `dir` under the file's own name (a small fake of that).
    core: {
      exportAttachment: async (args) => {
        log.push(`export ${args.messageId}/${args.index} dir=${args.dir ? basename(args.dir) : '-'}`);
        const path = join(args.dir!, 'report 季度.pdf');
        writeFileSync(path, 'plaintext');
        return { path };
      },
    },
    downloadsDir,
    showSaveDialog: async (defaultPath) => {
      log.push(`dialog ${defaultPath.slice(root.length)}`);
      return dialogAnswer(defaultPath);
    },
    openPath: async (path) => {
      log.push(`open ${path.slice(root.length)}`);
      return openFailure;
    },
    showItemInFolder: (path) => log.push(`show ${path.slice(root.length)}`),
  });
  return { root, files, log, downloadsDir };
}

describe('attachment files (save as, open, show in folder)', () => {
  it('save as offers the file under its own name and copies it where the user chose', async () => {
    // The user picks another folder and name in the dialog.
    let root = '';
    const chosen = () => join(root, 'kept.pdf');
    const made = setup(chosen);
    root = made.root;
    const { files, log } = made;
    const result = await files.saveAs({ messageId: 'm1', index: 0 });
    expect(result.path).toBe(join(root, 'kept.pdf'));
    expect(readFileSync(result.path!, 'utf8')).toBe('plaintext');
    expect(log).toEqual(['export m1/0 dir=Tern', `dialog ${join('/Downloads', 'Tern', 'report 季度.pdf')}`]);
  });

  it('a cancelled dialog saves nothing', async () => {
    const { files, root } = setup(() => undefined);
    expect(await files.saveAs({ messageId: 'm1', index: 1 })).toEqual({});
    expect(existsSync(join(root, 'kept.pdf'))).toBe(false);
  });

  it('open and show in folder use the exported file; a program that cannot open it is an error', async () => {
    const ok = setup(() => undefined);
    await ok.files.open({ messageId: 'm2', index: 0 });
    await ok.files.showInFolder({ messageId: 'm2', index: 0 });
    expect(ok.log.filter((l) => !l.startsWith('export'))).toEqual([
      `open ${join('/Downloads', 'Tern', 'report 季度.pdf')}`,
      `show ${join('/Downloads', 'Tern', 'report 季度.pdf')}`,
    ]);
    const failing = setup(() => undefined, 'no application is associated');
    await expect(failing.files.open({ messageId: 'm2', index: 0 })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: /no application/ });
  });
});
