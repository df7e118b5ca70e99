/** The benchmarks' release: the example with a 5 × 4 matrix, no source tarball, and builds that only pack a file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { createExampleProject, type ExampleProject } from '@relforge/testkit';

export const distros = ['bookworm', 'trixie', 'jammy', 'noble', 'alpine'];
export const archs = ['x86_64', 'arm64', 'riscv64', 's390x'];

/** A fresh copy of the example with that matrix: 20 builds, 20 tarballs, their sidecars and the SUMS files. */
export async function twentyArtifactProject(): Promise<ExampleProject> {
  const example = await createExampleProject();
  const config = readFileSync(example.configPath, 'utf8')
    .replace(/ {2}command: make dist\n/, '  command: tar -czf "$RELFORGE_ARTIFACT" Makefile\n')
    .replace(
      / {2}matrix:\n(?: {4}- distro: .*\n {6}arch: .*\n)+/,
      `  matrix:\n${distros.map((distro) => `    - distro: ${distro}\n      arch: [${archs.join(', ')}]\n`).join('')}`,
    )
    .replace('sourceTarball: true', 'sourceTarball: false')
    .replace('  templates:\n', '  templates:\n')
    .replace(
      / {4}- template: Dockerfile\.template\n {6}output: "\{majorMinor\}\/trixie\/Dockerfile"\n {6}distro: trixie\n {6}arch: x86_64\n/,
      '',
    );
  writeFileSync(example.configPath, config);
  return example;
}
