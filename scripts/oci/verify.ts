// A pass-through stream that checks a blob's sha256 and size as it flows.
import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { EsbError } from '../errors.ts'

export class VerifyStream extends Transform {
  private hash = createHash('sha256')
  private n = 0
  constructor(
    readonly digest: string | null,
    readonly size: number | null,
    readonly what: string,
  ) {
    super()
    // a small blob may be checked (and fail) before its consumer attaches; the consumer still gets the
    // error (pipeline sees `errored`), and the process does not die of an 'error' nobody listened to
    this.on('error', () => {})
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk)
    this.n += chunk.length
    if (this.size !== null && this.n > this.size) {
      cb(new EsbError(`${this.what}: more than the ${this.size} bytes announced; the source is corrupt`))
      return
    }
    cb(null, chunk)
  }
  override _flush(cb: TransformCallback): void {
    const got = `sha256:${this.hash.digest('hex')}`
    if (this.size !== null && this.n !== this.size) {
      cb(new EsbError(`${this.what}: ${this.n} bytes, expected ${this.size}; the source is truncated or corrupt`))
      return
    }
    if (this.digest && got !== this.digest) {
      cb(new EsbError(`${this.what}: digest ${got} does not match ${this.digest}; the source is corrupt`))
      return
    }
    this.computed = got
    cb()
  }
  computed: string | null = null
  get bytes() {
    return this.n
  }
}

/** A descriptor's `size` must be the byte length of what it names (registries and `docker load` refuse it otherwise). */
export function checkSize(where: string, d: { digest: string; size?: unknown }, actual: number, what: string): void {
  if (d.size !== actual)
    throw new EsbError(
      `${where}: ${what} ${d.digest} is ${actual} bytes but its descriptor says size ${JSON.stringify(d.size ?? null)}; the archive is corrupt, export or save it again`,
    )
}

export function sha256(buf: Buffer | string): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`
}
