/**
 * `relforge verify <file or URL>`: what a downloader runs. It trusts only the project's key, read from its checksum
 * repository (or an allowed_signers file the caller names), never from where the file was downloaded: whoever could
 * replace a tarball there could replace its checksums and signature too.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { checksumFileNames, parseChecksumsText } from '@relforge/checksum';
import { InputError, isRelforgeError } from '@relforge/errors';
import { readHashLines } from '@relforge/release-files';
import {
  allowedSignersFile,
  parseAllowedSigners,
  provenanceFileName,
  publishAttestationFileName,
  PublishPredicate,
  signatureFileName,
  verifyFileSignature,
  verifyStatement,
  type ReleasePublicKey,
} from '@relforge/signing';
import { exitCodes } from './errors.js';

interface VerifyOptions {
  project?: string;
  version?: string;
  baseUrl?: string;
  checksumRepo?: string;
  checksumFile: string;
  key?: string;
  json?: boolean;
}

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** A file of the release, read from a URL (anonymously, as anyone downloads it) or from disk. */
async function fetchBytes(location: string): Promise<Buffer | undefined> {
  if (/^https?:\/\//.test(location)) {
    const response = await fetch(location, { redirect: 'follow' }).catch((error: unknown) => {
      throw new InputError(`cannot reach ${location}: ${error instanceof Error ? error.message : String(error)}`, {
        fix: 'check the address and your network, then run the command again',
      });
    });
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new InputError(`${location} answered ${response.status} ${response.statusText}`, {
        fix: 'the file must be downloadable without credentials; check the address, or download it and pass the file',
      });
    }
    return Buffer.from(await response.arrayBuffer());
  }
  return existsSync(location) && statSync(location).isFile() ? readFileSync(location) : undefined;
}

const beside = (base: string, file: string) =>
  /^https?:\/\//.test(base) ? `${base.replace(/\/$/, '')}/${encodeURIComponent(file)}` : join(base, file);

/** Where the artifact's sibling files are: the folder of its URL or path. */
function baseOf(location: string): string {
  if (!/^https?:\/\//.test(location)) return dirname(resolve(location));
  const url = new URL(location);
  url.pathname = url.pathname.replace(/\/[^/]*$/, '');
  url.search = '';
  return url.toString();
}

/**
 * The project and version of a file named `<project>-<version>[-<distro>-<arch>].tar.gz`. The name alone is
 * ambiguous (`hello-1.3.0-rc1-bookworm-x86_64` could be version `1.3.0` built for distro `rc1`), so each reading is
 * tried against the checksums file it implies, longest version first, and the one whose file lists the artifact wins.
 */
async function releaseOf(
  file: string,
  base: string,
  options: VerifyOptions,
): Promise<{ project: string; version: string; sums: Buffer }> {
  const stem = file.replace(/\.tar\.gz$/, '');
  const project = options.project ?? /^([a-z0-9][a-z0-9-]*?)-\d/.exec(stem)?.[1];
  if (!project) {
    throw new InputError(`cannot tell the project from the file name ${file}`, {
      fix: 'name it with --project <name> --version <version>',
    });
  }
  const rest = stem.slice(project.length + 1).split('-');
  const candidates = options.version
    ? [options.version]
    : rest.map((_, index) => rest.slice(0, rest.length - index).join('-')).filter((version) => /^\d/.test(version));
  for (const version of candidates) {
    const name = checksumFileNames(project, version).sha256;
    const sums = await fetchBytes(beside(base, name));
    if (sums && (options.version || listed(sums, file))) return { project, version, sums };
  }
  throw new InputError(`no ${project}-<version>-SHA256SUMS listing ${file} next to it, at ${base}`, {
    fix: options.version
      ? `check --version, or give --base-url where ${checksumFileNames(project, options.version).sha256} is published`
      : 'give --version <version>, and --base-url where the release files are if they are not next to this one',
  });
}

function listed(sums: Buffer, file: string): boolean {
  try {
    return parseChecksumsText(sums.toString('utf8')).some((line) => line.fileName === file);
  } catch {
    return false;
  }
}

/** The checksum repository's files, from a clone of its URL, or from a checkout the caller already has. */
function checksumRepository(location: string): { read: (path: string) => string | undefined; done: () => void } {
  if (existsSync(location) && statSync(location).isDirectory()) {
    return {
      read: (path) => (existsSync(join(location, path)) ? readFileSync(join(location, path), 'utf8') : undefined),
      done: () => {},
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'relforge-verify-'));
  try {
    execFileSync('git', ['clone', '--quiet', '--depth', '1', location, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim() ?? '';
    throw new InputError(`cannot clone the checksum repository ${location}${stderr ? `: ${stderr}` : ''}`, {
      fix: 'give its git URL as anyone can clone it, or a folder where it is checked out',
    });
  }
  return {
    read: (path) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : undefined),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The keys allowed to sign this project's release files, in Relforge's namespace. */
function projectKeys(text: string, name: string, project: string): ReleasePublicKey[] {
  return parseAllowedSigners(text, name)
    .filter((signer) => signer.principals.includes(project))
    .filter((signer) => !signer.namespaces || signer.namespaces.includes('relforge-release'))
    .map((signer) => signer.publicKey);
}

const failure = (error: unknown) =>
  isRelforgeError(error) ? error.message : error instanceof Error ? error.message : String(error);

export async function verify(location: string, options: VerifyOptions): Promise<Check[]> {
  if (!options.checksumRepo && !options.key) {
    throw new InputError('no key to verify against', {
      fix: "name where the project's key is published: --checksum-repo <git URL or checkout>, or --key <allowed_signers file or URL>",
    });
  }
  const file = basename(/^https?:\/\//.test(location) ? new URL(location).pathname : location);
  const artifact = await fetchBytes(location);
  if (!artifact) {
    throw new InputError(`${location}: no such file`, { fix: 'check the address or the path' });
  }
  const sha256 = createHash('sha256').update(artifact).digest('hex');
  const base = options.baseUrl ?? baseOf(location);
  const { project, version, sums } = await releaseOf(file, base, options);
  const sumsName = checksumFileNames(project, version).sha256;
  const checks: Check[] = [];
  const repo = options.checksumRepo ? checksumRepository(options.checksumRepo) : undefined;
  try {
    const signersText = options.key
      ? (await fetchBytes(options.key))?.toString('utf8')
      : repo?.read(allowedSignersFile);
    const signersName = options.key ?? `${options.checksumRepo}/${allowedSignersFile}`;
    if (signersText === undefined) {
      throw new InputError(`${signersName}: not found`, {
        fix: options.key
          ? 'check the path or address of the allowed_signers file'
          : 'the checksum repository holds no allowed_signers: the project does not sign its releases, or this is not its checksum repository',
      });
    }
    const keys = projectKeys(signersText, signersName, project);
    if (keys.length === 0) {
      throw new InputError(`${signersName} has no key for ${project} in namespace relforge-release`, {
        fix: `check that this is ${project}'s checksum repository (or allowed_signers file)`,
      });
    }

    // 1. The checksums file is the project's: its signature verifies with the project's key.
    const signature = await fetchBytes(beside(base, signatureFileName(sumsName)));
    if (!signature) {
      checks.push({ check: 'signature', ok: false, detail: `${signatureFileName(sumsName)} is missing at ${base}` });
    } else {
      try {
        const signer = verifyFileSignature(signature.toString('utf8'), sums, keys, {
          name: signatureFileName(sumsName),
        });
        checks.push({ check: 'signature', ok: true, detail: `${sumsName} is signed by ${signer.fingerprint}` });
      } catch (error) {
        checks.push({ check: 'signature', ok: false, detail: failure(error) });
      }
    }

    // 2. The file is the one the checksums file lists.
    const line = (() => {
      try {
        return parseChecksumsText(sums.toString('utf8')).find((entry) => entry.fileName === file);
      } catch (error) {
        return failure(error);
      }
    })();
    if (typeof line === 'string' || line === undefined) {
      checks.push({ check: 'checksums', ok: false, detail: line ?? `${sumsName} does not list ${file}` });
    } else {
      checks.push({
        check: 'checksums',
        ok: line.digest === sha256,
        detail:
          line.digest === sha256
            ? `sha256 ${sha256} as ${sumsName} lists`
            : `${file} has sha256 ${sha256}, but ${sumsName} lists ${line.digest}`,
      });
    }

    // 3. The signed provenance names this file, with this digest, as what the release built.
    const provenanceName = provenanceFileName(project, version);
    const provenance = await fetchBytes(beside(base, provenanceName));
    if (!provenance) {
      checks.push({ check: 'provenance', ok: false, detail: `${provenanceName} is missing at ${base}` });
    } else {
      try {
        const { statement } = verifyStatement(provenance.toString('utf8'), keys, provenanceName);
        const subject = statement.subject.find((candidate) => candidate.name === file);
        checks.push(
          subject?.digest.sha256 === sha256
            ? {
                check: 'provenance',
                ok: true,
                detail: `${provenanceName} is signed and lists ${file} with this sha256`,
              }
            : {
                check: 'provenance',
                ok: false,
                detail: subject
                  ? `${provenanceName} lists ${file} with sha256 ${subject.digest.sha256}, not ${sha256}`
                  : `${provenanceName} does not list ${file}`,
              },
        );
      } catch (error) {
        checks.push({ check: 'provenance', ok: false, detail: failure(error) });
      }
    }

    // 4. The checksum repository, kept apart from the downloads, says the same.
    if (repo) {
      const hashes = repo.read(options.checksumFile);
      const recorded = readHashLines(hashes ?? '').filter(
        (entry) => entry.file === file && entry.algorithm === 'sha256',
      );
      checks.push(
        hashes === undefined
          ? {
              check: 'checksum repository',
              ok: false,
              detail: `it has no ${options.checksumFile}; name the file with --checksum-file`,
            }
          : recorded.length === 0
            ? {
                check: 'checksum repository',
                ok: false,
                detail: `${options.checksumFile} has no hash line for ${file}`,
              }
            : recorded.every((entry) => entry.digest === sha256)
              ? {
                  check: 'checksum repository',
                  ok: true,
                  detail: `${options.checksumFile}: hash ${file} sha256 ${sha256}`,
                }
              : {
                  check: 'checksum repository',
                  ok: false,
                  detail: `${options.checksumFile} records sha256 ${recorded.map((entry) => entry.digest).join(', ')} for ${file}, not ${sha256}`,
                },
      );
    }

    // 5. Where it was published, if the release attested it yet (it does after its last stage).
    const publishName = publishAttestationFileName(project, version);
    const published = await fetchBytes(beside(base, publishName));
    if (published) {
      try {
        const { statement } = verifyStatement(published.toString('utf8'), keys, publishName);
        const entry = PublishPredicate.parse(statement.predicate).files.find((candidate) => candidate.name === file);
        const places = entry?.placements ?? [];
        const wrong = places.filter((place) => 'sha256' in place && place.sha256 !== sha256);
        checks.push(
          entry && wrong.length === 0
            ? {
                check: 'publish attestation',
                ok: true,
                detail: `${publishName} is signed; ${file} was verified in ${places.map((place) => place.type).join(', ')} with this sha256`,
              }
            : {
                check: 'publish attestation',
                ok: false,
                detail: entry
                  ? `${publishName} records another sha256 for ${file} in ${wrong.map((place) => place.type).join(', ')}`
                  : `${publishName} does not list ${file}`,
              },
        );
      } catch (error) {
        checks.push({ check: 'publish attestation', ok: false, detail: failure(error) });
      }
    }
  } finally {
    repo?.done();
  }
  return checks;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      "check a release file as a downloader: its sha256 against the signed checksums, the signature against the project's key, the signed provenance, and the checksum repository",
    )
    .argument('<file-or-url>', 'the downloaded file, or its URL (fetched without credentials)')
    .option(
      '--checksum-repo <git-url-or-folder>',
      "the project's checksum repository: its allowed_signers and hash lines",
    )
    .option('--checksum-file <path>', 'the hash file in the checksum repository', 'README')
    .option('--key <allowed-signers>', "an allowed_signers file (path or URL) holding the project's key")
    .option('--base-url <url-or-folder>', 'where the release files are published, if not next to this one')
    .option('--project <name>', "the project, when the file's name does not tell")
    .option('--version <version>', "the version, when the file's name does not tell")
    .option('--json', 'print the checks as JSON')
    .action(async (location: string, options: VerifyOptions) => {
      const checks = await verify(location, options);
      if (options.json) console.log(JSON.stringify(checks, null, 2));
      else for (const { check, ok, detail } of checks) console.log(`${ok ? '✓' : '✗'} ${check}: ${detail}`);
      const failed = checks.filter((check) => !check.ok);
      if (failed.length > 0) {
        console.error(
          `relforge: ${basename(location)} failed ${failed.map((check) => check.check).join(', ')}: do not use it`,
        );
        process.exitCode = exitCodes.failed;
      } else if (!options.json) {
        console.log(`${basename(location)}: verified`);
      }
    });
}
