/** A pipeline's or MULTI's replies, throwing the first command's error (exec() reports them per command). */
export function pipelineValues(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
