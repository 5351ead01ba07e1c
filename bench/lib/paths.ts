import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/lib/ is two levels below the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const benchDir = path.join(repoRoot, 'bench');
export const resultsDir = path.join(benchDir, 'results');
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');
