/**
 * The arrows point down: which parts of src/ may import which, checked on the source text so the
 * rules stay true as the code grows. A failure names the file and the import that breaks a rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const SRC = join(repoRoot, 'src');

interface Import {
  /** The imported file, relative to src/ (`graph/retry.ts`). */
  target: string;
  /** `import type` / `export type`: gone at run time. */
  typeOnly: boolean;
  /** `import('…')`: loaded when needed. */
  dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The relative imports of one file (static, re-exports and dynamic), resolved to files under src/. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean, dynamic: boolean) => {
    if (!spec.startsWith('.')) return;
    out.push({ target: relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'), typeOnly, dynamic });
  };
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)'/gm))
    add(m[3]!, m[2] !== undefined, false);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(m[1]!, false, true);
  return out;
}

/** Module-level state in `text`: top-level `let`/`var`, and top-level collections something adds to or deletes from. */
function moduleState(text: string): string[] {
  const out = [...text.matchAll(/^(?:export\s+)?(?:let|var)\s+(\w+)/gm)].map((m) => m[1]!);
  for (const m of text.matchAll(/^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*(?:new\s+(?:Set|Map|WeakMap|Array)\b|\[)/gm)) {
    if (new RegExp(`\\b${m[1]}\\.(?:add|set|delete|clear|push|pop|shift|unshift|splice)\\(`).test(text)) out.push(m[1]!);
  }
  return out;
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f))]));
const top = (f: string) => f.split('/')[0]!;

/** Every import from a file under `from` into a file under one of `banned` (folders of src/). */
function breaking(from: string, banned: readonly string[], opts: { typesToo: boolean } = { typesToo: true }): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    if (!(file === from || file.startsWith(`${from}/`))) continue;
    for (const i of imports) if ((opts.typesToo || !i.typeOnly) && banned.includes(top(i.target))) out.push(`${file} imports ${i.target}`);
  }
  return out;
}

describe('imports point down', () => {
  it('src/auth imports nothing from the job, query or CLI layers', () => {
    expect(breaking('auth', ['job', 'query', 'cli'])).toEqual([]);
  });

  it('src/schedule (budgets, pacing, pause) does not reach into auth, the job or the CLI', () => {
    expect(breaking('schedule', ['auth', 'job', 'query', 'cli'])).toEqual([]);
  });

  it('src/graph (pure functions of Graph behaviour) imports only itself, src/secrets and src/types.ts', () => {
    const allowed = new Set(['graph', 'secrets', 'types.ts']);
    const out = [...graph].flatMap(([file, imports]) =>
      top(file) === 'graph' ? imports.filter((i) => !allowed.has(top(i.target))).map((i) => `${file} imports ${i.target}`) : [],
    );
    expect(out).toEqual([]);
  });

  it('src/graph holds no module-level state (the secret registry lives in src/secrets)', () => {
    const stateful = files
      .filter((f) => top(f) === 'graph')
      .flatMap((f) => moduleState(readFileSync(join(SRC, f), 'utf8')).map((s) => `${f}: ${s}`));
    expect(stateful).toEqual([]);
    // The rule sees the registry as it was in src/graph/errors.ts:
    expect(moduleState('const remembered = new Set<string>();\nexport function f(v) {\n  remembered.add(v);\n}')).toEqual(['remembered']);
  });

  it('src/secrets imports nothing of the product', () => {
    expect(
      breaking(
        'secrets',
        [...new Set(files.map(top))].filter((t) => t !== 'secrets'),
      ),
    ).toEqual([]);
  });

  it('no cycle of imports at run time (type-only and dynamic imports left out)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'active' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'active') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'active');
      for (const i of graph.get(file) ?? []) if (!i.typeOnly && !i.dynamic && graph.has(i.target)) visit(i.target, [...path, file]);
      state.set(file, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('the checker sees the imports it checks (it would not pass on an empty graph)', () => {
    expect(graph.get('job/run-job.ts')!.map((i) => i.target)).toContain('job/dispatcher.ts');
    expect(graph.get('job/connect.ts')!.some((i) => i.target === 'emulator/index.ts' && i.dynamic)).toBe(true);
    expect(graph.get('state/reader.ts')!.some((i) => i.target === 'auth/token-source.ts' && i.typeOnly)).toBe(true);
  });
});
