/**
 * The relative links of Markdown files, checked the way GitHub renders them: a link to a file must name one that
 * exists, and a `#fragment` must be the anchor of one of that file's headings (GitHub's slugs: lower case, punctuation
 * dropped, spaces to hyphens, `-1`, `-2` for repeats). Links inside code are text, not links, and are skipped.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Markdown with its fenced blocks and inline code blanked out, so only what renders as a link is read. */
function withoutCode(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
}

/** GitHub's anchor for a heading's text. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const code = /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm;
  for (const [, text = ''] of markdown.replace(code, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = slugOf(text);
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

export interface BrokenLink {
  /** `file:line`, relative to the root. */
  where: string;
  link: string;
  problem: string;
}

/** Every relative link or image of `files` (paths under `root`) that does not resolve. */
export function brokenLinks(root: string, files: string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    let anchors = anchorCache.get(path);
    if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, 'utf8'))));
    return anchors;
  };
  for (const file of files) {
    const path = join(root, file);
    const lines = withoutCode(readFileSync(path, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      for (const [, target = ''] of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        // Absolute URLs and mail addresses are the web's, not this repository's.
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [pathPart = '', fragment] = target.split('#', 2);
        const resolved = pathPart === '' ? path : join(dirname(path), decodeURIComponent(pathPart));
        const where = `${relative(root, path)}:${index + 1}`;
        if (!existsSync(resolved)) {
          broken.push({ where, link: target, problem: `${relative(root, resolved)} does not exist` });
          continue;
        }
        if (fragment === undefined || fragment === '') continue;
        if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
          broken.push({
            where,
            link: target,
            problem: `#${fragment} points into ${relative(root, resolved)}, not a Markdown page`,
          });
          continue;
        }
        if (!anchorsIn(resolved).has(decodeURIComponent(fragment)))
          broken.push({
            where,
            link: target,
            problem: `${relative(root, resolved)} has no heading with anchor #${fragment}`,
          });
      }
    });
  }
  return broken;
}
