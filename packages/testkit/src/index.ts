export { createGitRoot, createTestBucket, decodedHistory, testS3Client, testStack, type GitRoot } from './fixtures.js';
export { startDevServer, type DevServer, type DevServerOptions } from './temporal.js';
export type { TestStack } from './stack.js';
export { createExampleProject, exampleDir, type ExampleProject } from './example.js';
