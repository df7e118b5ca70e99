/**
 * The links a release writes, followed as people follow them: every URL is read from the files the release produced
 * (the checksum repository, the container repository's pull request, the website's, the release notes), never from
 * Relforge's own status, and fetched with plain `fetch` and no credentials.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { buildTargets, loadProjectConfig } from '@relforge/config';
import { publicReadStatement } from '@relforge/object-store';
import { createExampleProject, exampleDir, testS3Client, testStack } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, release, type Connections } from './harness.js';
import { checkout, s3Policy } from './inspect.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

/** A URL a release wrote, where it wrote it, and the SHA-256 written beside it that its bytes must have. */
interface Link {
  place: string;
  url: string;
  sha256: string;
}

const seed = (path: string) => readFileSync(join(exampleDir(), 'seeds', path), 'utf8');

/** `hash <file> sha256 <hex> <url>` lines the release added to the checksum repository's file. */
function hashLinks(readme: string): Link[] {
  const seeded = new Set(seed('hashes/README').split('\n'));
  return readme
    .split('\n')
    .filter((line) => !seeded.has(line))
    .flatMap((line) => {
      const match = /^hash (\S+) sha256 ([0-9a-f]{64}) (\S+)$/.exec(line);
      return match ? [{ place: 'checksum repo', url: match[3] as string, sha256: match[2] as string }] : [];
    });
}

/** The entries of the container repository's versions.json that the release wrote. */
function versionsLinks(text: string): Link[] {
  const seeded = JSON.parse(seed('container/versions.json')) as Record<string, unknown>;
  return Object.entries(JSON.parse(text) as Record<string, { url: string; sha256: string }>)
    .filter(([line, entry]) => JSON.stringify(seeded[line]) !== JSON.stringify(entry))
    .map(([, entry]) => ({ place: 'versions.json', url: entry.url, sha256: entry.sha256 }));
}

/** `ENV <PREFIX>_DOWNLOAD_URL=` with its `ENV <PREFIX>_DOWNLOAD_SHA=`, as the Dockerfile's own RUN line checks it. */
function dockerfileLink(path: string, text: string, envPrefix: string): Link {
  const url = new RegExp(`^ENV ${envPrefix}_DOWNLOAD_URL=(\\S+)$`, 'm').exec(text)?.[1];
  const sha256 = new RegExp(`^ENV ${envPrefix}_DOWNLOAD_SHA=([0-9a-f]{64})$`, 'm').exec(text)?.[1];
  if (!url || !sha256) throw new Error(`${path} has no ${envPrefix}_DOWNLOAD_URL and _SHA lines:\n${text}`);
  return { place: path, url, sha256 };
}

/**
 * The downloads the website builds from a release page's front matter, as the site's template does:
 * `artifact_source + artifact_fname + "-" + tag + "-" + distro + "-" + arch + ".tar.gz"`. The page carries no digest;
 * the site links the `.sha256` file beside each tarball, so the digest is read from there, without credentials too.
 */
async function websiteLinks(page: string): Promise<Link[]> {
  const field = (name: string) => {
    const value = new RegExp(`^ +${name}: (".*")$`, 'm').exec(page)?.[1];
    if (!value) throw new Error(`the release page has no ${name}:\n${page}`);
    return JSON.parse(value) as string;
  };
  const base = `${field('artifact_source')}${field('artifact_fname')}-${field('tag')}`;
  const links: Link[] = [];
  let distro: string | undefined;
  for (const line of page.split('\n')) {
    const distroLine = /^ +- distro: (".*")$/.exec(line)?.[1];
    const archLine = /^ +- (".*")$/.exec(line)?.[1];
    if (distroLine) distro = JSON.parse(distroLine) as string;
    else if (archLine && distro) {
      const url = `${base}-${distro}-${JSON.parse(archLine) as string}.tar.gz`;
      const sidecar = await fetch(`${url}.sha256`);
      expect([`${url}.sha256`, sidecar.status]).toEqual([`${url}.sha256`, 200]);
      links.push({ place: 'website page', url, sha256: (await sidecar.text()).split(/\s/)[0] as string });
    }
  }
  return links;
}

/** The table rows of the release notes: `| [<file>](<url>) | `<sha256>` |`. */
function releaseNotesLinks(body: string): Link[] {
  return [...body.matchAll(/^\| \[[^\]]+\]\((\S+)\) \| `([0-9a-f]{64})` \|$/gm)].map((match) => ({
    place: 'release notes',
    url: match[1] as string,
    sha256: match[2] as string,
  }));
}

async function anonymousDownload(url: string): Promise<{ url: string; status: number; sha256: string }> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { url, status: response.status, sha256: createHash('sha256').update(bytes).digest('hex') };
}

describe('the links a release writes, followed without credentials', () => {
  it('download every file with the digest written beside it, while the rest of the bucket stays private', async () => {
    const example = await createExampleProject();
    const version = '1.4.0';
    const { status, failure } = await release(connections, example, version);
    expect(failure?.cause?.message).toBeUndefined();
    expect(status?.state).toBe('succeeded');
    const config = await loadProjectConfig(example.configPath, example.env);
    const container = config.containerRepo;
    if (!container) throw new Error('the example has a container repository');

    const hashes = await checkout(example.repos.hashes, 'main');
    const containerPr = await checkout(example.repos.container, `update-${version}`);
    const websitePr = await checkout(example.repos.website, `update-website-${version}`);
    let links: Link[];
    try {
      const seededSite = new Set(
        readdirSync(join(exampleDir(), 'seeds', 'website'), { recursive: true, encoding: 'utf8' }),
      );
      const pages = websitePr.files.filter((file) => !seededSite.has(file));
      expect(pages).toHaveLength(1);
      const notes = await fetch(`${testStack().github.url}/repos/${example.repos.source}/releases/tags/v${version}`, {
        headers: { authorization: `Bearer ${example.env['RELFORGE_GITHUB_TOKEN']}` },
      });
      expect(notes.status).toBe(200);
      links = [
        ...hashLinks(hashes.read('README')),
        ...versionsLinks(containerPr.read('versions.json')),
        ...containerPr.files
          .filter((file) => /(^|\/)Dockerfile$/.test(file))
          .map((file) => dockerfileLink(file, containerPr.read(file), container.envPrefix)),
        ...(await websiteLinks(websitePr.read(pages[0] as string))),
        ...releaseNotesLinks(((await notes.json()) as { body: string }).body),
      ];
    } finally {
      hashes.done();
      containerPr.done();
      websitePr.done();
    }

    // Every place, counted from the example: a hash line and a release-notes row per tarball (one per target and the
    // source), a versions.json entry for the source, a Dockerfile per template, a website download per target.
    const targets = buildTargets(config).length;
    const tarballs = targets + (config.build.sourceTarball ? 1 : 0);
    const perPlace = (place: (link: Link) => boolean) => links.filter(place).length;
    expect({
      'checksum repo': perPlace((link) => link.place === 'checksum repo'),
      'versions.json': perPlace((link) => link.place === 'versions.json'),
      Dockerfiles: perPlace((link) => link.place.endsWith('Dockerfile')),
      'website page': perPlace((link) => link.place === 'website page'),
      'release notes': perPlace((link) => link.place === 'release notes'),
    }).toEqual({
      'checksum repo': tarballs,
      'versions.json': 1,
      Dockerfiles: container.templates.length,
      'website page': targets,
      'release notes': tarballs,
    });
    expect(links).toHaveLength(2 * tarballs + 1 + container.templates.length + targets);
    console.log(`followed ${links.length} links without credentials (plus ${targets} .sha256 files the site links)`);

    for (const link of links) {
      expect(await anonymousDownload(link.url), link.place).toEqual({
        url: link.url,
        status: 200,
        sha256: link.sha256,
      });
    }

    // The grant is the release prefix only, given once: the files staged between machines, and anything else the
    // bucket holds, answer 403 to the same request.
    expect((await s3Policy(example))?.Statement).toEqual([
      publicReadStatement(example.bucket, config.publish.s3.prefix),
    ]);
    const s3 = testS3Client();
    let privateKeys: string[];
    try {
      await s3.send(new PutObjectCommand({ Bucket: example.bucket, Key: 'notes/private.txt', Body: 'not for you' }));
      const staged = await s3.send(
        new ListObjectsV2Command({ Bucket: example.bucket, Prefix: config.publish.s3.stagingPrefix }),
      );
      privateKeys = ['notes/private.txt', ...(staged.Contents ?? []).map((object) => object.Key ?? '')];
    } finally {
      s3.destroy();
    }
    expect(privateKeys.length).toBeGreaterThan(tarballs);
    for (const key of privateKeys) {
      const response = await fetch(`${testStack().s3.endpoint}/${example.bucket}/${key}`);
      expect([key, response.status]).toEqual([key, 403]);
    }
  });
});
