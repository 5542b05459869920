import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/** Combinators whose own message only repeats what their branches already said. */
const UMBRELLAS = new Set(['anyOf', 'oneOf']);
/** The first combinator branch in a schema path: `#/properties/x/anyOf/1/items/type`. */
const BRANCH = /^(.*?\/(?:anyOf|oneOf))\/(\d+)\//;

const depth = (e: FastifySchemaValidationError) => e.instancePath.split('/').length;

/**
 * Fastify's schemaErrorFormatter: each problem once, the most useful first. Ajv reports every
 * failed branch of an `anyOf` (`input_data` may be rows or one row, and both readings often
 * fail for the same reason, so the same clause came twice) and then the `anyOf` itself. Here,
 * of an `anyOf`'s branches only those that got deepest into the data speak (the reading the
 * caller most likely meant), identical clauses are said once, and the umbrella clause only when
 * nothing more precise was said.
 */
export function formatSchemaErrors(
  errors: readonly FastifySchemaValidationError[],
  dataVar: string,
): Error {
  const deepest = new Map<string, number>();
  for (const e of errors) {
    const branch = BRANCH.exec(e.schemaPath);
    if (branch?.[1] !== undefined) {
      deepest.set(branch[1], Math.max(deepest.get(branch[1]) ?? 0, depth(e)));
    }
  }
  const precise = errors.filter((e) => {
    if (UMBRELLAS.has(e.keyword)) return false;
    const branch = BRANCH.exec(e.schemaPath);
    return branch?.[1] === undefined || depth(e) === deepest.get(branch[1]);
  });
  const chosen = precise.length > 0 ? precise : errors;
  const clauses = new Set<string>();
  for (const e of chosen) clauses.add(`${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`);
  return new Error([...clauses].join('; '));
}
