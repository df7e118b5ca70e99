/**
 * The import rules CI checks (`pnpm deps`, run by `bash infra/bootstrap.sh test`): no circles, production code never
 * imports the dev machinery, and workflow code imports only what Temporal's sandbox can replay. Workspace packages are
 * resolved to their sources (tooling/deps/resolve.cjs), so an edge between two packages is checked like one inside a
 * package.
 */
/** The dev machinery: local servers, the stack, the testkit, the smoke workflow and the GitHub stand-in. */
const dev = '^(packages/(local-servers|stack|testkit|smoke)|infra/github-standin)/';
/**
 * Workflow code, as eslint.config.js's `workflowFiles` lists it: the workflows, and in a stage's folder its workflow
 * step, undo and inputs (its activities.ts and undo-activities.ts run on the worker).
 */
const workflowCode =
  '^packages/[^/]+/src/(workflows\\.ts$|workflows/|stages/[^/]+\\.ts$|stages/[^/]+/(workflow|undo|inputs)\\.ts$)';
/** Where the CLI's dev commands (`relforge stack`, `relforge demo`) live: the one place that may reach the stack. */
const cliDev = '^apps/cli/src/dev/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A circle means neither module can be read, tested or moved without the other: split out what both need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-production-to-dev',
      severity: 'error',
      comment:
        'Production code must run on a machine without the dev stack; defaults that point at the local stack belong to `relforge stack` and `demo` (apps/cli/src/dev/).',
      from: { path: '^(apps|packages|infra)/[^/]+/src/', pathNot: [dev, cliDev] },
      to: { path: dev },
    },
    {
      name: 'cli-dev-door-is-main',
      severity: 'error',
      comment:
        "Only the CLI's entry point wires the dev commands and the stack's defaults in (apps/cli/src/dev/); a command that needs a default asks local-defaults.ts.",
      from: { path: '^apps/cli/src/', pathNot: ['^apps/cli/src/main\\.ts$', cliDev] },
      to: { path: cliDev },
    },
    {
      name: 'workflow-code-is-replayable',
      severity: 'error',
      comment:
        "Workflow code runs in Temporal's sandbox and is replayed: no Node builtins, no I/O clients, no worker-side SDK packages.",
      from: { path: workflowCode },
      to: {
        dependencyTypes: ['core'],
      },
    },
    {
      name: 'workflow-code-imports-no-io',
      severity: 'error',
      comment:
        'Workflow code reaches I/O only through activities (proxyActivities); these packages do I/O or need the worker.',
      from: { path: workflowCode },
      to: {
        path: [
          'node_modules/(@aws-sdk|@octokit|@nats-io|cloudevents)/',
          'node_modules/@temporalio/(client|worker|activity|testing)/',
          '^packages/release-events/src/jetstream\\.ts$',
        ],
      },
    },
  ],
  options: {
    exclude: { path: ['(^|/)(dist|test|bench)/', '(^|/)[^/]+\\.config\\.ts$'] },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    webpackConfig: { fileName: 'tooling/deps/resolve.cjs' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      conditionNames: ['import', 'default'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
    },
    tsConfig: { fileName: 'tsconfig.base.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
