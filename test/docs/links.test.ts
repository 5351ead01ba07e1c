// Every relative link in README.md and docs/**/*.md leads somewhere: to a file or directory of the
// repository and, with a #fragment into a markdown file, to one of that file's headings as GitHub
// anchors them. Links with a scheme (https:, mailto:) are not followed.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { repoRoot } from '../helpers/server.js';

/** README.md and every .md file under docs/, as absolute paths. */
function markdownFiles(): string[] {
  const found = [path.join(repoRoot, 'README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) found.push(full);
    }
  };
  walk(path.join(repoRoot, 'docs'));
  return found.sort();
}

/** The lines outside fenced code blocks (``` or ~~~); fenced lines become empty, so line numbers hold. */
function withoutFences(text: string): string[] {
  let fence: string | undefined;
  return text.split(/\r?\n/).map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return '';
    }
    return line;
  });
}

/** A heading's anchor by GitHub's rules: lowercase, punctuation but - and _ dropped, each space a -. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or an image: its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/`/g, '')
    .replace(/\*/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown text offers: its headings' slugs (a repeated slug gets -1, -2, ...) and HTML ids. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (slug: string): void => {
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  };
  const lines = withoutFences(text);
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx) add(githubSlug(atx[1] ?? ''));
    else if (/^ {0,3}(=+|-+)[ \t]*$/.test(line) && i > 0 && /\S/.test(lines[i - 1] ?? '') && !/^\s*([-*+]|\d+\.|\|)/.test(lines[i - 1] ?? '')) {
      add(githubSlug(lines[i - 1] ?? ''));
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/gi)) anchors.add(m[1] as string);
  });
  return anchors;
}

export interface Link {
  line: number;
  target: string;
}

/** The link and image targets of a markdown text, outside code: inline `[text](target)` and reference definitions. */
export function linksOf(text: string): Link[] {
  const links: Link[] = [];
  withoutFences(text).forEach((raw, i) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, (span) => (span.includes('](') ? '' : 'code'));
    for (const m of line.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      links.push({ line: i + 1, target: (m[1] as string).replace(/^<|>$/g, '') });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
    if (definition) links.push({ line: i + 1, target: (definition[1] as string).replace(/^<|>$/g, '') });
  });
  return links;
}

/** What is wrong with each relative link of `text`, read as the file `file` (absolute path); empty when all resolve. */
export function brokenLinks(file: string, text: string): string[] {
  const problems: string[] = [];
  const where = (link: Link): string => `${path.relative(repoRoot, file)}:${link.line}: ${link.target}`;
  for (const link of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('//')) continue;
    const hash = link.target.indexOf('#');
    const rawPath = hash === -1 ? link.target : link.target.slice(0, hash);
    const fragment = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
    const decoded = decodeURIComponent(rawPath.split('?')[0] as string);
    const resolved = decoded === '' ? file : decoded.startsWith('/') ? path.join(repoRoot, decoded) : path.resolve(path.dirname(file), decoded);
    if (resolved !== repoRoot && !resolved.startsWith(repoRoot + path.sep)) {
      problems.push(`${where(link)}: leads outside the repository`);
      continue;
    }
    if (resolved !== file && !existsSync(resolved)) {
      problems.push(`${where(link)}: no such file`);
      continue;
    }
    if (fragment !== undefined && resolved.endsWith('.md')) {
      const anchors = anchorsOf(resolved === file ? text : readFileSync(resolved, 'utf8'));
      if (!anchors.has(fragment)) problems.push(`${where(link)}: no heading with the anchor #${fragment} in ${path.relative(repoRoot, resolved)}`);
    }
  }
  return problems;
}

describe('GitHub anchors and link extraction', () => {
  test("headings get GitHub's slugs, repeated ones a -1 suffix", () => {
    assert.equal(githubSlug('`[sharq-server]`'), 'sharq-server');
    assert.equal(githubSlug('Quick start (a fresh Debian/Ubuntu machine with Node.js 20 or later)'), 'quick-start-a-fresh-debianubuntu-machine-with-nodejs-20-or-later');
    assert.equal(githubSlug('`SharqClient` and `runWorker`'), 'sharqclient-and-runworker');
    assert.equal(githubSlug('Figures: the full run of 2026-11-29'), 'figures-the-full-run-of-2026-11-29');
    assert.deepEqual([...anchorsOf('# A\n\n```\n# not a heading\n```\n## A\nB\n---\n')], ['a', 'a-1', 'b']);
  });

  test('links in code are not links; titles and angle brackets are not part of the target', () => {
    const text = 'See [a](a.md "title") and ![b](<b c.png>).\n`[x](nowhere.md)`\n```\n[y](nowhere.md)\n```\n[ref]: ref.md\n';
    assert.deepEqual(linksOf(text), [
      { line: 1, target: 'a.md' },
      { line: 1, target: 'b c.png' },
      { line: 6, target: 'ref.md' },
    ]);
  });

  test('a missing file, a missing anchor and a link out of the repository are reported; good links are not', () => {
    const file = path.join(repoRoot, 'docs', 'example.md');
    const text = [
      '# Example',
      '[ok](../README.md#configuration) [ok](#example) [ok](console/overview.png) [ok](https://example.com/x.md)',
      '[missing](nowhere.md) [anchor](../README.md#no-such-heading) [here](#nothing) [out](../../outside.md)',
    ].join('\n');
    assert.deepEqual(brokenLinks(file, text), [
      'docs/example.md:3: nowhere.md: no such file',
      'docs/example.md:3: ../README.md#no-such-heading: no heading with the anchor #no-such-heading in README.md',
      'docs/example.md:3: #nothing: no heading with the anchor #nothing in docs/example.md',
      'docs/example.md:3: ../../outside.md: leads outside the repository',
    ]);
  });
});

describe('every relative link in README.md and docs/ resolves', () => {
  const files = markdownFiles();
  test('the docs are found', () => {
    assert.ok(files.length > 1, `only ${files.join(', ')}`);
  });
  for (const file of files) {
    test(path.relative(repoRoot, file), () => {
      const problems = brokenLinks(file, readFileSync(file, 'utf8'));
      assert.deepEqual(problems, [], `broken links:\n${problems.join('\n')}`);
    });
  }
});
