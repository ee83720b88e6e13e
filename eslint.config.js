// Lint rules, including the layer rules of the design guide: each folder may
// import only from the layers below it. tests/lint/layers.test.ts proves each
// rule fires.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';

const nodeBuiltins = { group: ['node:*'], message: 'shared/ runs everywhere: Node built-ins belong in shared/node/.' };
const electronImport = (where) => ({ name: 'electron', message: `${where} must not import electron.` });
/** Import patterns that reach the named folders of electron/ (from anywhere, or from a sibling folder). */
const electronFolders = (...names) => names.flatMap((n) => [`**/electron/${n}/**`, `../${n}`, `../${n}/**`]);

/** Patterns for no-restricted-imports, per layer. */
export const layerRules = {
  shared: {
    paths: [electronImport('shared/'), 'ws', 'better-sqlite3', 'pino', 'vue', 'pinia', 'fs', 'path', 'crypto', 'net', 'os'],
    patterns: [
      nodeBuiltins,
      { group: ['**/node/**', '**/server/**', '**/electron/**', '**/renderer/**'], message: 'shared/ may import only from shared/.' },
    ],
  },
  sharedNode: {
    paths: [electronImport('shared/node/')],
    patterns: [{ group: ['**/server/**', '**/electron/**', '**/renderer/**'], message: 'shared/node/ may import only from shared/.' }],
  },
  server: {
    paths: [electronImport('The server'), 'vue', 'pinia'],
    patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'The server may import only from shared/.' }],
  },
  // electron/core/: the messaging core, plain Node on a worker thread (of Electron main or of the web shell).
  core: {
    paths: [electronImport('The messaging core (it runs in plain Node, on a worker thread)'), 'vue', 'pinia'],
    patterns: [
      {
        group: ['**/server/**', '**/renderer/**', ...electronFolders('main', 'preload', 'host', 'web-shell')],
        message: 'electron/core/ may import only from shared/.',
      },
    ],
  },
  // electron/host/ (logic both shells run) and electron/web-shell/ (the web shell's Node process): plain Node, never electron.
  // They run the core on its own thread (electron/host/core-thread.ts): from electron/core only types and the thread protocol.
  host: {
    paths: [electronImport('The web shell and shared host code (they run in plain Node)'), 'vue', 'pinia'],
    patterns: [
      { group: ['**/server/**', '**/renderer/**', ...electronFolders('main', 'preload')], message: 'electron/host/ and electron/web-shell/ may import electron/host/, shared/ and the core\'s types only.' },
      {
        // electron/core and anything in it, except electron/core/thread/protocol.
        regex: '^(?:\\.\\./|.*/electron/)core(?:/(?!thread/protocol$).*)?$',
        allowTypeImports: true,
        message: 'The core runs on its own thread (electron/host/core-thread.ts): import its types and electron/core/thread/protocol only.',
      },
    ],
  },
  main: {
    paths: ['vue', 'pinia'],
    patterns: [
      {
        group: ['**/server/**', '**/renderer/**', ...electronFolders('preload', 'web-shell', 'core')],
        message: 'electron/main/ may import electron/host/ and shared/ only: the core runs on its thread (electron/host/core-thread.ts); channel names live in shared/ipc.',
      },
    ],
  },
  preload: {
    paths: [],
    patterns: [
      nodeBuiltins,
      {
        group: ['**/server/**', '**/renderer/**', ...electronFolders('core', 'main', 'host', 'web-shell')],
        message: 'The preload may import electron and shared/ipc only.',
      },
    ],
  },
  renderer: {
    paths: [electronImport('The renderer (it reaches the core only through the IPC contract)'), 'ws', 'better-sqlite3', 'pino'],
    patterns: [
      nodeBuiltins,
      { group: ['**/server/**', '**/electron/**', '**/shared/node/**'], message: 'The renderer may import shared/ (pure) only; it reaches the core through the IPC contract.' },
    ],
  },
};

const restrict = (rule) => ({ 'no-restricted-imports': ['error', rule] });
// typescript-eslint's variant: the same options plus `allowTypeImports` (used where only types may cross).
const restrictTyped = (rule) => ({ 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': ['error', rule] });

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', '.tsbuild/', 'shared/gen/', 'data/', 'test-results/', 'bench-results/'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.es2023 } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  { files: ['shared/**'], ignores: ['shared/node/**'], rules: restrict(layerRules.shared) },
  { files: ['shared/node/**'], rules: restrict(layerRules.sharedNode), languageOptions: { globals: globals.node } },
  { files: ['server/**'], rules: restrict(layerRules.server), languageOptions: { globals: globals.node } },
  { files: ['electron/core/**'], rules: restrict(layerRules.core), languageOptions: { globals: globals.node } },
  { files: ['electron/host/**', 'electron/web-shell/**'], rules: restrictTyped(layerRules.host), languageOptions: { globals: globals.node } },
  { files: ['electron/main/**'], rules: restrict(layerRules.main), languageOptions: { globals: globals.node } },
  { files: ['electron/preload/**'], rules: restrict(layerRules.preload) },
  { files: ['renderer/**'], rules: restrict(layerRules.renderer), languageOptions: { globals: globals.browser } },
  { files: ['tests/**', 'scripts/**', '*.config.*', 'build/**'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' }, languageOptions: { sourceType: 'commonjs', globals: globals.node } },
);
