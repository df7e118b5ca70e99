/**
 * How the import check (.dependency-cruiser.cjs) resolves the workspace's own packages: `@relforge/x` and
 * `@relforge/x/sub` to the source file its `exports` entry is built from (dist/X.js from src/X.ts), not to the build,
 * so an edge between two packages is seen between their sources. Read as a webpack `resolve` section.
 */
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const workspaceDirs = ['apps', 'packages', 'tooling', 'infra']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(group, name)))
  .filter((dir) => existsSync(join(root, dir, 'package.json')));

const alias = {};
for (const dir of workspaceDirs) {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const built = typeof target === 'string' ? target : target.default;
    if (typeof built !== 'string' || !built.startsWith('./dist/')) continue;
    const source = join(root, dir, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    if (existsSync(source)) alias[`${manifest.name}${subpath === '.' ? '' : subpath.slice(1)}$`] = source;
  }
}

module.exports = { resolve: { alias, extensionAlias: { '.js': ['.ts', '.js'] } } };
