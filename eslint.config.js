// Lint rules: typescript-eslint's recommended type-aware set, plus the few rules the team relies on.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/', '.tmp/', 'native/*/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // Rejecting control characters is exactly what input checks are for.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // A failing assert.ok(x) without a message makes Node re-read the source to print the
    // expression; under tsx the mapped position is wrong and that took minutes of CPU.
    files: ['test/**', 'bench/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          "CallExpression[callee.name='assert'][arguments.length<2]",
          "CallExpression[callee.name='ok'][arguments.length<2]",
          "CallExpression[callee.object.name='assert'][callee.property.name='ok'][arguments.length<2]",
          "CallExpression[callee.object.name='strict'][callee.property.name='ok'][arguments.length<2]",
          "CallExpression[callee.object.object.name='assert'][callee.object.property.name='strict'][arguments.length<2]",
          "CallExpression[callee.object.object.name='assert'][callee.property.name='ok'][arguments.length<2]",
        ].map((selector) => ({
          selector,
          message:
            'Give this assertion a message (assert.ok(x, "what went wrong")) or compare values with assert.equal/deepEqual: without one, Node rebuilds the expression from the source, which is slow and wrong under tsx.',
        })),
      ],
    },
  },
  {
    // The native binding's loader is CommonJS (a .node file is loaded with require).
    files: ['native/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The console runs in the browser.
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src/cli/**', 'bench/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
);
