// Loaded with --import by test/client/without-otel.test.ts: makes every @opentelemetry/* package
// impossible to import in that process, as if it were not installed.
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) {
    const error = new Error('Cannot find package ' + specifier + ' (hidden by no-otel-hook.mjs)');
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
