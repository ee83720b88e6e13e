// Proves the per-environment tsconfigs keep platform globals out of layers
// that run elsewhere: a snippet compiled with a layer's compiler options
// must fail where the layer has no such global (Buffer, window, document).
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function compilerOptions(configFile: string): ts.CompilerOptions {
  const read = ts.readConfigFile(path.join(root, configFile), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return { ...parsed.options, noEmit: true, composite: false, declaration: false, emitDeclarationOnly: false, incremental: false };
}

/** Type errors of `code` compiled as a file of `configFile`'s layer. */
function errorsOf(configFile: string, code: string): string[] {
  const options = compilerOptions(configFile);
  const fileName = path.join(root, '__layer_probe__.ts');
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (f === fileName ? code : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === fileName ? ts.createSourceFile(f, code, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('per-environment tsconfigs', () => {
  it.each([
    ['tsconfig.shared.json', 'export const b = Buffer.from("x");', false],
    ['tsconfig.shared.json', 'export const w = window.location;', false],
    ['tsconfig.shared.json', 'export const d = document.title;', false],
    ['tsconfig.shared.json', 'export const u = new Uint8Array(4);', true],
    ['tsconfig.node.json', 'export const b = Buffer.from("x");', true],
    ['tsconfig.node.json', 'export const d = document.title;', false],
    ['tsconfig.renderer.json', 'export const d = document.title;', true],
    ['tsconfig.renderer.json', 'export const b = Buffer.from("x");', false],
  ])('%s: %s compiles: %s', (config, code, compiles) => {
    const errors = errorsOf(config, code);
    expect(errors.length === 0).toBe(compiles);
  });
});
