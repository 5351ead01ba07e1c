// The shape of src/: no import cycles (type imports count: a cycle of types is a cycle a reader has
// to untangle too), and imports only run down the layers. Read with the TypeScript compiler's own
// pre-processor, so every form of import (type-only, re-export, dynamic import()) is seen.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * Lower layers first; a module may import its own folder and any lower layer, never a higher one
 * or another folder of its own layer. client/ is shipped alone, so it imports only itself.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'interfaces.ts', 'paths.ts'],
  ['logger.ts'],
  ['config', 'redis'],
  ['cli-args.ts'],
  ['engine'],
  ['wake', 'metrics', 'tracing'],
  ['http', 'migrate'],
  ['process'],
  ['cli.ts', 'healthcheck.ts'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of each file, resolved to the .ts file it names. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.resolve(path.dirname(file), name).replace(/\.js$/, '.ts'));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components of more than one file, or of one file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === file) break;
    }
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component);
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** The top folder (or root file) of a module, e.g. 'engine' for src/engine/scripts/finish.ts. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] ?? '';
}

function layerOf(unit: string): number {
  return LAYERS.findIndex((layer) => layer.includes(unit));
}

const relative = (file: string): string => path.relative(SRC, file);

describe('src/ imports', () => {
  const graph = importGraph(SRC);

  test('form no cycle, type imports included', () => {
    const found = cycles(graph).map((component) => component.map(relative).sort().join(' <-> '));
    assert.deepEqual(found, []);
  });

  test('run down the layers only', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = unitOf(file);
      for (const target of targets) {
        const to = unitOf(target);
        if (from === to) continue;
        const allowed = from !== 'client' && to !== 'client' && layerOf(to) < layerOf(from);
        if (!allowed) wrong.push(`${relative(file)} -> ${relative(target)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('every module is placed in a layer', () => {
    const units = new Set([...graph.keys()].map(unitOf));
    assert.deepEqual([...units].filter((unit) => unit !== 'client' && layerOf(unit) < 0), []);
  });

  test('scripts are registered only in src/engine/scripts/ (the one door to Lua)', () => {
    const scriptsDir = path.join(SRC, 'engine', 'scripts') + path.sep;
    const outside = [...graph.keys()].filter(
      (file) => !file.startsWith(scriptsDir) && /\b(defineCommand|defineScript|ScriptSet)\b/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(outside.map(relative), []);
  });

  test('the check finds a cycle of type imports', () => {
    const a = path.join(SRC, 'a.ts');
    const b = path.join(SRC, 'b.ts');
    const c = path.join(SRC, 'c.ts');
    assert.deepEqual(cycles(new Map([[a, [b]], [b, [a]], [c, [a]]])).map((x) => x.sort()), [[a, b]]);
    const { importedFiles } = ts.preProcessFile("import type { X } from './x.js';\nexport type { Y } from './y.js';", true, true);
    assert.deepEqual(importedFiles.map((f) => f.fileName), ['./x.js', './y.js']);
  });
});
