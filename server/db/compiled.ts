// Queries that Kysely builds and compiles once, then runs with new values. Kysely builds and
// compiles the query tree on every execution; for the few statements every new session runs,
// that was a large part of POST /api/session's CPU (docs/benchmarks.md, "Round 3").
import type { CompiledQuery, Compilable, QueryResult } from 'kysely';
import type { Db } from './database.ts';

/** A query of fixed shape, run with the named values of `V`; its rows are `R`. */
export type CompiledOnce<V, R = unknown> = (db: Db, values: V) => Promise<QueryResult<R>>;

/** Marks where a value goes while the query is compiled; never sent to a database. */
const PLACEHOLDER = '\u0000compiled-once:';

/**
 * Compiles `build` the first time it runs on a dialect, with a placeholder for each of `names`,
 * and keeps the SQL; every run then binds `values` in the order the placeholders were compiled.
 * The SQL must not depend on the values (`build` only passes them on, never branches on them or
 * computes with them): a parameter that is not exactly one placeholder throws at the first run.
 */
export function compileOnce<V extends Record<string, unknown>, R = unknown>(names: readonly (keyof V & string)[], build: (db: Db, values: V) => Compilable<R>): CompiledOnce<V, R> {
  // One template per dialect (the SQL differs: `?` or `$1`); a transaction shares its database's adapter.
  const templates = new WeakMap<object, { compiled: CompiledQuery<R>; order: (keyof V & string)[] }>();
  const template = (db: Db) => {
    const adapter = db.getExecutor().adapter;
    let found = templates.get(adapter);
    if (!found) {
      const placeholders = Object.fromEntries(names.map((name) => [name, `${PLACEHOLDER}${name}`])) as unknown as V;
      const compiled = build(db, placeholders).compile();
      const order = compiled.parameters.map((parameter) => {
        const name = typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER) ? parameter.slice(PLACEHOLDER.length) : undefined;
        if (name === undefined || !names.includes(name)) throw new TypeError(`compileOnce: a parameter of "${compiled.sql}" is not one of its named values (${names.join(', ')})`);
        return name as keyof V & string;
      });
      found = { compiled, order };
      templates.set(adapter, found);
    }
    return found;
  };
  return (db, values) => {
    const { compiled, order } = template(db);
    return db.executeQuery({ ...compiled, parameters: order.map((name) => values[name]) });
  };
}
