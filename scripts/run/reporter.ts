// Runs a build through the runner, shows its progress for a person (step
// names with CACHED/done, the logs of a failed step) and writes the cache
// hit report from BuildKit's own records.
import type { Runner } from '../docker/runner.ts'
import { DockerError, EsbError } from '../errors.ts'
import { stateWrite } from '../project/statefs.ts'
import type { SkipInfo, StepOf } from '../plan/types.ts'
import {
  ProgressCollector,
  culprit,
  hitReport,
  reportText,
  withCounts,
  type HitCount,
  type HitReport,
} from '../report/hitrate.ts'
import { buildRefs, historyVertices, recentRefs, targetCounts } from '../report/history.ts'

interface Acc {
  col: ProgressCollector
  raw: string[]
  t0: number
  counts: Record<string, HitCount>
}

/** Log lines of one vertex, from rawjson `logs` records (base64 data). */
interface RawLog {
  vertex?: string
  data?: string
}

/** Phases of one command add up into one report: keep one Reporter per command run. */
export class Reporter {
  private reports = new Map<string, Acc>()
  /** the hit report of the last build run through this reporter (for --json) */
  last: HitReport | null = null
  /** what the build skipped as unchanged, carried into its report */
  skip: SkipInfo | null = null

  constructor(private runner: Runner) {}

  async run(st: StepOf<'docker'>): Promise<void> {
    const rep = st.report!
    const acc = this.reports.get(rep.file) ?? { col: new ProgressCollector(), raw: [], t0: Date.now(), counts: {} }
    this.reports.set(rep.file, acc)
    const { col, raw, t0 } = acc
    col.newStream()
    const log = this.runner.log
    const mode = rep.progress ?? 'plain'
    const logs = new Map<string, string[]>()
    // plain and rawjson output is the tool's own, shown as it comes; quiet shows only a failed step's logs
    const onLine = (line: string) => {
      raw.push(line)
      if (mode === 'plain' || mode === 'rawjson') log(line)
      // quiet: a plain log (compose's) is kept per step, for the failed step's lines
      const plainStep = mode === 'quiet' ? /^#(\d+) /.exec(line) : null
      if (plainStep) {
        const k = col.plainKey(plainStep[1])
        const arr = logs.get(k) ?? []
        arr.push(line)
        logs.set(k, arr.slice(-30))
      } else if (mode === 'quiet' && !line.startsWith('{')) log(line) // warnings and errors
      if (line.startsWith('{')) {
        try {
          const rec = JSON.parse(line) as { logs?: RawLog[] }
          for (const l of rec.logs ?? []) {
            const key = l.vertex ?? ''
            const arr = logs.get(key) ?? []
            arr.push(
              ...Buffer.from(l.data ?? '', 'base64')
                .toString('utf8')
                .split('\n')
                .filter(Boolean),
            )
            logs.set(key, arr.slice(-30))
          }
        } catch {
          /* not ours */
        }
      }
      for (const v of col.line(line)) {
        if (!v.error || /importing cache manifest from|exporting cache to/.test(v.name) || mode !== 'quiet') continue
        // rawjson carries a failed step's logs base64-encoded: show them readable
        const digest = [...col.vertices.entries()].find(([, x]) => x === v)?.[0]
        for (const l of (digest && logs.get(digest)) || []) log(`  | ${l}`)
      }
    }
    let failed = false
    const started = Date.now()
    try {
      // tty: BuildKit's live display on the user's terminal; the steps are read back from its records
      if (mode === 'tty') await this.runner.run(st.argv, { env: st.env, cwd: st.cwd })
      else await this.runner.run(st.argv, { env: st.env, cwd: st.cwd, onLine })
    } catch (e) {
      failed = true
      const bad = culprit(col.vertices.values())
      // plain output may name the cause only in its closing ERROR line (an export cut short)
      const last = bad ? undefined : [...raw].reverse().find((l) => /^ERROR: /.test(l) && !/context canceled/.test(l))
      const what = bad
        ? `${bad.name.length > 120 ? bad.name.slice(0, 117) + '...' : bad.name} failed: ${bad.error}`
        : last
          ? `the build failed: ${last.slice(7)}`
          : null
      if (what && e instanceof DockerError) {
        const hint = /no space left on device/.test(what)
          ? 'free some space (docker esb prune) and build again'
          : "the step's last log lines are above"
        throw new EsbError(`${what}; ${hint} (exit ${e.exitCode})`, e.exitCode)
      }
      throw e
    } finally {
      if (mode === 'tty' && !failed && rep.builder) {
        const refs = rep.metadataFile ? buildRefs(rep.metadataFile) : await recentRefs(this.runner, rep.builder, started)
        Object.assign(acc.counts, targetCounts(await historyVertices(this.runner, rep.builder, refs)))
      }
      const report = withCounts(
        hitReport(
          rep.command,
          col.vertices.values(),
          Date.now() - t0,
          failed,
          rep.targets?.length === 1 ? rep.targets[0] : undefined,
        ),
        acc.counts,
      )
      if (this.skip && this.skip.reportFile === rep.file)
        Object.assign(report, {
          skipped: this.skip.skipped,
          rebuilt: this.skip.rebuild,
          ...reusedOf(this.skip),
          ...outsideOf(this.skip),
        })
      this.write(rep.file, report, raw)
      if (!failed && rep.final !== false) log(reportText(report).trimEnd())
    }
  }

  /** The report of a build that sent nothing to bake: every target unchanged. */
  skippedOnly(k: SkipInfo): void {
    const report: HitReport = {
      ...hitReport(k.command, [], 0),
      skipped: k.skipped,
      rebuilt: k.rebuild,
      ...reusedOf(k),
      ...outsideOf(k),
    }
    this.write(k.reportFile, report, [])
    this.runner.log(`nothing to build: ${k.skipped.length} target(s) unchanged`)
  }

  private write(file: string, report: HitReport, raw: string[]): void {
    // whole files, through no link in the state folder
    stateWrite(file, JSON.stringify(report, null, 2) + '\n')
    stateWrite(file.replace(/\.json$/, '.progress.log'), raw.join('\n') + '\n')
    this.last = report
  }
}

/** The report carries the outside images and their dependents, when there are any. */
const outsideOf = (k: SkipInfo) => (k.outside ? { outside: k.outside } : {})
const reusedOf = (k: SkipInfo) => (k.reused ? { reused: k.reused } : {})
