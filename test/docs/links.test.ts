/**
 * The README and the documents in docs/ link to each other by relative paths and #anchors: every such
 * link points at a file of the repository, and every anchor at a heading of that file (GitHub's
 * slugs: lower case, punctuation dropped, spaces to hyphens).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const documents = ['README.md', 'src/emulator/README.md', ...readdirSync(join(repoRoot, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

/** GitHub's anchor for a heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');

/** The anchors of a Markdown file: one per heading, outside code blocks. */
function anchors(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('documentation links', () => {
  it.each(documents)('%s: every relative link and anchor resolves', (doc) => {
    const path = join(repoRoot, doc);
    const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const to = file ? resolve(dirname(path), file) : path;
      if (!existsSync(to)) broken.push(`${target} (no file ${relative(repoRoot, to)})`);
      else if (anchor && to.endsWith('.md') && !anchors(to).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it('every document in docs/ is linked from the README (its index) or from another document', () => {
    const texts = documents.map((d) => ({ doc: d, text: readFileSync(join(repoRoot, d), 'utf8') }));
    const linked = (f: string) =>
      texts.some(({ doc, text }) => doc !== `docs/${f}` && (text.includes(`](docs/${f}`) || text.includes(`](${f}`)));
    expect(readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md') && !linked(f))).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('names every folder of src/ in its layout table', () => {
    const text = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
    const folders = readdirSync(join(repoRoot, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.map((d) => `src/${d.name}/`).filter((f) => !text.includes(`| \`${f}\``))).toEqual([]);
  });
});
