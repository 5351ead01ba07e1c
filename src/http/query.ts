// Strict query parameters: a decimal integer in range, given at most once; anything else is a 400
// naming the parameter.
import { ValidationError } from '../errors.js';

/** The parameter as an integer min..max, or undefined when absent. */
export function integerParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  const expected = `expected an integer ${min}-${max}`;
  if (values.length > 1) {
    throw new ValidationError(name, `\`${name}\` is given ${values.length} times: ${expected}, once`);
  }
  const raw = values[0] as string;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ValidationError(name, `\`${name}\` has an invalid value: ${expected}, got ${JSON.stringify(raw)}`);
  }
  return n;
}
