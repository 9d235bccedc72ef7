/** `fenghuo sim ...`: the site simulator as a standalone process. Resolves to the exit code. (Being written.) */
export async function simMain(_argv: readonly string[]): Promise<number> {
  throw new Error('not implemented yet');
}
