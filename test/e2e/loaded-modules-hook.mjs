// Loaded into the real server with NODE_OPTIONS=--import by test/e2e/tracing.test.ts: as each process
// (primary, workers) exits, it writes the CommonJS modules it loaded to $SHARQ_TEST_MODULE_LOG/<pid>.json.
// The OpenTelemetry SDK packages are CommonJS, so an SDK a process imported is in its list.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = process.env.SHARQ_TEST_MODULE_LOG;
if (dir) {
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(Object.keys(require.cache)));
  });
}
