// Lint rules that encode the architecture: see docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The sans-I/O core may not reach the outside world. These globals are the ways it could.
const impureGlobals = [
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'process',
  'fetch',
  'performance',
  'require',
].map((name) => ({
  name,
  message: 'core/ is sans-I/O: take time and effects as inputs (see docs/architecture.md).',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.ci/node24/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Layering: core imports nothing from Node but types, and nothing from the layers above it.
    files: ['src/core/**/*.ts'],
    // Tests and their helpers (*.test-helper.ts) may use node:assert.
    ignores: ['src/core/**/*.test.ts', 'src/core/**/*.test-helper.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              allowTypeImports: true,
              message: 'core/ is sans-I/O: no Node runtime modules.',
            },
            {
              group: [
                '**/runtime/**',
                '**/sim/**',
                '**/agent/**',
                '**/cli/**',
                '**/api/**',
                '**/web/**',
              ],
              message: 'core/ may not import the layers above it.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'core/ is sans-I/O: use the seeded Random from core/random.ts.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'core/ is sans-I/O: take the time as an input.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'core/ is sans-I/O: take the time as an input.',
        },
      ],
    },
  },
  {
    files: ['src/runtime/**/*.ts', 'src/sim/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/agent/**', '**/cli/**', '**/api/**', '**/web/**'],
              message: 'runtime/ and sim/ may not import the layers above them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.test.ts', 'src/**/*.test-helper.ts'],
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, program: null, project: false },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
