export { createGitRoot, createTestBucket, decodedHistory, testS3Client, testStack, type GitRoot } from './fixtures.js';
export { startDevServer, type DevServer, type DevServerOptions } from './temporal.js';
export type { TestStack } from './stack.js';
export { createExampleProject, exampleDir, type ExampleOptions, type ExampleProject } from './example.js';
export { exampleSecrets, releaseEffects, releasedOnce, secretsInHistory, type ReleaseEffects } from './effects.js';
export { until } from './wait.js';
export { killHard, stopGracefully, workerProcess, type WorkerProcessOptions } from './worker-process.js';
export { stockStartRelease } from './stock-cli.js';
export { startTestNats, type TestNats } from './nats.js';
