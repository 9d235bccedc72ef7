/** An operator's request names an output this box does not have (`param` is the request field, e.g. `speakers[1]`). */
export class OutputRequestError extends Error {
  constructor(
    readonly param: string,
    message: string,
    /** `none`: the box has no output of this kind at all. */
    readonly reason: 'unknown' | 'none' = 'unknown',
  ) {
    super(message);
    this.name = 'OutputRequestError';
  }
}

/** The items named (in the order named, each once), or all of them when no names are given. */
export function pickOutputs<T>(items: readonly T[], idOf: (t: T) => string, names: readonly string[] | undefined, param: string, noun: string): T[] {
  if (names === undefined) {
    if (items.length === 0) throw new OutputRequestError(param, `this box has no ${noun}s configured`, 'none');
    return [...items];
  }
  const out: T[] = [];
  for (const [i, name] of names.entries()) {
    const found = items.find((t) => idOf(t) === name);
    if (found === undefined) {
      const known = items.map(idOf);
      throw new OutputRequestError(`${param}[${i}]`, `"${name}" is not a ${noun} of this box; expected ${known.length > 0 ? `one of ${known.join(', ')}` : `nothing (there are no ${noun}s)`}`);
    }
    if (!out.includes(found)) out.push(found);
  }
  if (out.length === 0) throw new OutputRequestError(param, `name at least one ${noun}, or leave ${param} out for all`);
  return out;
}
