/**
 * Save as, open and show in folder for a message's file. The core decrypts
 * the file (downloading it first if needed) into the app's downloads folder
 * (`Downloads/Tern`, reused while it is still there), so the file manager
 * and other programs see an ordinary file; "save as" copies that file where
 * the user chose in a save dialog this process showed. Paths never come
 * from the page: the renderer names a file only by (message id, index).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { HostMethods, MethodResults } from '../../shared/ipc';

export interface AttachmentFilesDeps {
  core: Pick<HostMethods, 'exportAttachment'>;
  /** Where exported files go (created when first needed). */
  downloadsDir: string;
  /** The save dialog; resolves with the chosen path, or undefined if cancelled. */
  showSaveDialog(defaultPath: string): Promise<string | undefined>;
  /** Opens the file with its default program; resolves with an error message ('' on success), as Electron's shell.openPath. */
  openPath(path: string): Promise<string>;
  showItemInFolder(path: string): void;
}

type Ref = { messageId: string; index: number };

export class AttachmentFiles {
  constructor(private readonly deps: AttachmentFilesDeps) {}

  private async exported(ref: Ref): Promise<string> {
    await mkdir(this.deps.downloadsDir, { recursive: true });
    return (await this.deps.core.exportAttachment({ ...ref, dir: this.deps.downloadsDir })).path;
  }

  saveAs = async (ref: Ref): Promise<MethodResults['saveAttachmentAs']> => {
    const source = await this.exported(ref);
    const target = await this.deps.showSaveDialog(join(this.deps.downloadsDir, basename(source)));
    if (!target) return {};
    if (target !== source) await copyFile(source, target);
    return { path: target };
  };

  open = async (ref: Ref): Promise<void> => {
    const path = await this.exported(ref);
    const failure = await this.deps.openPath(path);
    if (failure) throw Object.assign(new Error(`could not open the file: ${failure}`), { code: 'UNSUPPORTED' });
  };

  showInFolder = async (ref: Ref): Promise<void> => {
    this.deps.showItemInFolder(await this.exported(ref));
  };
}
