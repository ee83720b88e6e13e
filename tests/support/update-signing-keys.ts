/**
 * The test-only release-signing key pair (tests/fixtures/update-signing, never
 * used for a real release) and a fake sha512 for the yml electron-builder writes.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePublicKeys } from '../../electron/main/update-signature';
import { secretKeyFromBase64 } from '../../build/release-signing';

const fixtures = join(resolve(import.meta.dirname, '../..'), 'tests/fixtures/update-signing');

export const secret = secretKeyFromBase64(readFileSync(join(fixtures, 'TEST-ONLY-key.private'), 'utf8'));
export const publicB64 = readFileSync(join(fixtures, 'TEST-ONLY-key.pub'), 'utf8').trim();
export const keys = parsePublicKeys(publicB64);
/** A well-formed base64 sha512 made of one repeated character. */
export const sha = (c: string) => `${c.repeat(86)}==`;
