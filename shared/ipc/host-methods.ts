/**
 * Methods of the core that only a shell calls, never the renderer: they name
 * paths on this computer. A renderer that could pass a path could make the
 * core read any file and send it away, or overwrite one; so these travel only
 * between a shell (Electron main, which takes the path from a file the user
 * picked or a save dialog it showed) and the core's thread, and neither the
 * preload nor the web shell forwards them from a page.
 */
import { z } from 'zod';
import type { StagedAttachment } from './types';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')) && !p.includes('\0'), 'an absolute path');

export const hostMethodSchemas = {
  /** Encrypts a file on disk into the composer's staging area (the desktop shell's path of a picked or dropped file). */
  stageAttachmentFile: z.object({ path: absolutePath }).strict(),
  /**
   * Writes the decrypted file (downloading it first if needed) to `file`, or
   * under its own sanitised name into `dir` (" (1)", " (2)"... when taken;
   * the same file exported before and still there is reused).
   */
  exportAttachment: z
    .object({
      messageId: z.string().min(1).max(64),
      index: z.number().int().min(0).max(99),
      file: absolutePath.optional(),
      dir: absolutePath.optional(),
    })
    .strict()
    .refine((a) => (a.file === undefined) !== (a.dir === undefined), 'exactly one of file or dir'),
} as const;

export type HostMethodName = keyof typeof hostMethodSchemas;
export type HostMethodArgs<M extends HostMethodName> = z.output<(typeof hostMethodSchemas)[M]>;

export interface HostMethodResults {
  stageAttachmentFile: StagedAttachment;
  exportAttachment: { path: string };
}

export type HostMethods = { [M in HostMethodName]: (args: HostMethodArgs<M>) => Promise<HostMethodResults[M]> };

export function isHostMethod(method: string): method is HostMethodName {
  return Object.prototype.hasOwnProperty.call(hostMethodSchemas, method);
}

