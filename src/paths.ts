import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// src/ and dist/ both sit one level below the package root, so this holds for tsx and for tsc output.
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const luaDir = path.join(packageRoot, 'lua');

/** The package's version, as package.json gives it (banner, --version). */
export const VERSION = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
