/**
 * Machine-wide policy set by an administrator (not by the user), read once
 * at start:
 *
 * - the environment: `TERN_DISABLE_UPDATES=1` (or true/yes);
 * - a JSON file only an administrator can write:
 *     Linux    /etc/tern/policy.json
 *     macOS    /Library/Application Support/Tern/policy.json
 *     Windows  %ProgramData%\Tern\policy.json
 *   e.g. `{ "disableUpdates": true }`. Unknown keys are ignored (newer policies).
 *
 * A policy file that exists but cannot be read or parsed turns updates off
 * and is logged: an administrator who wrote one meant to restrict something,
 * and guessing "allowed" would undo that silently.
 */
import { z } from 'zod';

export interface AdminPolicy {
  updatesDisabled: boolean;
  /** Where the decision came from, for the log. */
  source: 'none' | 'env' | 'file' | 'file-unreadable';
}

const policySchema = z.object({ disableUpdates: z.boolean().optional() }).passthrough();

export function policyFilePath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return `${env.ProgramData ?? 'C:\\ProgramData'}\\Tern\\policy.json`;
  if (platform === 'darwin') return '/Library/Application Support/Tern/policy.json';
  return '/etc/tern/policy.json';
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/**
 * `readFile` returns the file's text, or null when it does not exist; it
 * throws for any other failure (permissions, a directory, ...).
 */
export function readAdminPolicy(options: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string | null;
  warn?: (message: string, detail: Record<string, unknown>) => void;
}): AdminPolicy {
  if (truthy(options.env.TERN_DISABLE_UPDATES)) return { updatesDisabled: true, source: 'env' };
  const path = policyFilePath(options.platform, options.env);
  let text: string | null;
  try {
    text = options.readFile(path);
  } catch (error) {
    options.warn?.('policy file unreadable: updates turned off', { path, err: String(error).slice(0, 200) });
    return { updatesDisabled: true, source: 'file-unreadable' };
  }
  if (text === null) return { updatesDisabled: false, source: 'none' };
  let parsed: z.infer<typeof policySchema>;
  try {
    parsed = policySchema.parse(JSON.parse(text));
  } catch (error) {
    options.warn?.('policy file invalid: updates turned off', { path, err: String(error).slice(0, 200) });
    return { updatesDisabled: true, source: 'file-unreadable' };
  }
  return { updatesDisabled: parsed.disableUpdates === true, source: 'file' };
}
