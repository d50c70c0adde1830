// Progress of long work that is not BuildKit's (import and export of big
// images): bytes done of the total and the rate, redrawn in place on a
// terminal at most five times a second; nothing at all in a CI log, where
// the command's own lines already say what it does.
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

const MB = 1024 * 1024

/** Bytes as `12.3 MiB`, for one-line summaries. Pure. */
export const mib = (bytes: number) => `${(bytes / MB).toFixed(1)} MiB`

/** One progress line. Pure. */
export function meterLine(label: string, done: number, total: number, ms: number): string {
  const rate = ms > 0 ? done / MB / (ms / 1000) : 0
  return `${label}: ${(done / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB (${rate.toFixed(1)} MB/s)`
}

export class Meter {
  private done = 0
  private shown = 0
  private readonly t0: number

  /** `write`: the terminal (stderr); `tty` false: the meter stays silent. */
  constructor(
    private label: string,
    private total: number,
    private write: (s: string) => void,
    private tty: boolean,
    private now: () => number = Date.now,
  ) {
    this.t0 = now()
  }

  /** More bytes to go (an image's blobs, known once its manifest is read). */
  grow(n: number): void {
    this.total += n
  }

  add(n: number): void {
    this.done += n
    const t = this.now()
    if (this.tty && t - this.shown >= 200) {
      this.shown = t
      this.write(`\r\x1b[K${meterLine(this.label, this.done, this.total, t - this.t0)}`)
    }
  }

  /** The last state on its own line (terminal only). */
  finish(): void {
    if (this.tty && this.shown) this.write(`\r\x1b[K${meterLine(this.label, this.done, this.total, this.now() - this.t0)}\n`)
  }

  /** `src` counted as it flows; an error of `src` reaches the reader. */
  counted(src: Readable): Readable {
    // a transform, not a 'data' listener: that would start the flow before the reader is attached
    const add = (n: number) => this.add(n)
    const p = new Transform({
      transform(chunk: Buffer, _enc, done) {
        add(chunk.length)
        done(null, chunk)
      },
    })
    pipeline(src, p).catch((e: Error) => p.destroy(e))
    return p
  }
}
