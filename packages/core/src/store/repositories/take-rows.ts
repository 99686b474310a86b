/** Runs `query` and maps its first row; undefined when it returns none. */
export async function takeFirst<Row, T>(
  query: { executeTakeFirst(): Promise<Row | undefined> },
  map: (row: Row) => T,
): Promise<T | undefined> {
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : map(row);
}

/** Runs `query` and maps every row it returns. */
export async function takeAll<Row, T>(query: { execute(): Promise<Row[]> }, map: (row: Row) => T): Promise<T[]> {
  return (await query.execute()).map(map);
}

/** Runs `query`, which returns exactly one row (an insert's RETURNING), and maps it. */
export async function takeOne<Row, T>(query: { executeTakeFirstOrThrow(): Promise<Row> }, map: (row: Row) => T): Promise<T> {
  return map(await query.executeTakeFirstOrThrow());
}
