/**
 * The main process's start-up crypto check. Electron's Node is built on
 * BoringSSL, which lacks some of what plain Node (OpenSSL) has; the first
 * version shipped a cipher Electron does not have and could not connect at
 * all. Before any window or core exists, the transport's primitives are
 * checked (shared/node/noise/self-check.ts); if one is missing the user sees
 * a translated dialog naming it and the app exits, instead of a messenger
 * that silently never connects.
 */
import type { CryptoReport } from '../../shared/node/noise/self-check';
import type { MainStrings } from './strings';

export interface CryptoCheckDeps {
  check(): CryptoReport;
  strings: MainStrings;
  /** dialog.showErrorBox */
  showError(title: string, body: string): void;
  log: { error(obj: object, msg: string): void };
}

/** True when the crypto is complete; otherwise tells the user and the log, and returns false (the caller exits). */
export function cryptoReadyAtStart(deps: CryptoCheckDeps): boolean {
  const report = deps.check();
  if (report.ok) return true;
  deps.log.error({ missing: report.missing, checks: report.checks.filter((c) => !c.ok), profile: report.profile, protocol: report.protocol }, 'crypto self-check failed');
  deps.showError(deps.strings.cryptoUnavailableTitle, deps.strings.cryptoUnavailable(report.missing));
  return false;
}
