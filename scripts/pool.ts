// A few at a time: registry requests run concurrently, but not all at once.

/** Runs `f` over `items`, at most `n` at a time (in order of start). */
export async function pool<T>(items: T[], f: (x: T) => Promise<void>, n: number): Promise<void> {
  const queue = [...items]
  await Promise.all(
    Array.from({ length: Math.min(n, queue.length) }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await f(x)
    }),
  )
}
