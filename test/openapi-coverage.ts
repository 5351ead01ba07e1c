// `npm test`'s bookends for the suite-wide OpenAPI coverage (test/helpers/openapi-coverage.ts):
//   clear          empties the run folder (pretest)
//   check [dir]    exits 1, listing them, when a documented (operationId status) pair of openapi.json
//                  was seen valid by no test process of the run (posttest)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { clearSeen, documentedPairs, readSeen, seenDir, unseenPairs } from './helpers/openapi-coverage.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command, dirArgument] = process.argv.slice(2);
const dir = dirArgument ?? seenDir();

if (command === 'clear') {
  clearSeen(dir);
} else if (command === 'check') {
  const document = JSON.parse(readFileSync(path.join(repoRoot, 'openapi.json'), 'utf8')) as Parameters<typeof documentedPairs>[0];
  const documented = documentedPairs(document);
  const unseen = unseenPairs(document, readSeen(dir));
  if (unseen.length > 0) {
    process.stderr.write(
      `openapi coverage: ${unseen.length} of ${documented.length} documented replies were never seen (validated) by a test:\n` +
        unseen.map((pair) => `  ${pair}\n`).join('') +
        `Add a test that makes each (test/e2e/contract-sweep.test.ts is table-driven from openapi.json), or remove a reply ` +
        `that cannot happen from openapi.json. The check needs the whole suite: run \`npm test\` without file arguments.\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`openapi coverage: all ${documented.length} documented replies were seen (validated) by the suite\n`);
  }
} else {
  process.stderr.write('usage: node --import tsx test/openapi-coverage.ts clear|check [dir]\n');
  process.exitCode = 2;
}
