// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Workflow code is replayed and must be deterministic: no Node builtins, no
 * I/O clients, no SDK packages meant for the worker or client side. This is
 * the list Temporal's own workflow bundler refuses, plus the I/O libraries
 * Relforge uses in activities.
 */
export const workflowForbiddenImports = [
  ...builtinModules.filter((name) => !name.startsWith('_') && !name.startsWith('node:')),
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
];
// `node:`-prefixed builtins are caught by pattern, so each import is reported once.
const workflowForbiddenPatterns = [
  'node:*',
  '@aws-sdk/*',
  '@octokit/*',
  '@nats-io/*',
  'cloudevents',
  '@relforge/release-events/jetstream',
];

export const workflowFiles = [
  '**/src/workflows.ts',
  '**/src/workflows/**/*.ts',
  // A stage's folder: its workflow step, undo and inputs run in the sandbox; activities.ts and undo-activities.ts do not.
  '**/src/stages/*.ts',
  '**/src/stages/*/workflow.ts',
  '**/src/stages/*/undo.ts',
  '**/src/stages/*/inputs.ts',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'infra/.bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-console': 'off',
    },
  },
  {
    files: workflowFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: workflowForbiddenImports.map((name) => ({
            name,
            message: 'workflow code must stay deterministic: do I/O in an activity and call it with proxyActivities',
          })),
          patterns: [
            {
              group: workflowForbiddenPatterns,
              message: 'workflow code must stay deterministic: do I/O in an activity and call it with proxyActivities',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'workflow code has no process: pass values in the workflow input' },
        { name: 'require', message: 'workflow code cannot load modules at run time' },
      ],
    },
  },
);
