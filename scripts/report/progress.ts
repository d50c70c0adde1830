// Runs a build through the runner, shows its progress for a person (step
// names with CACHED/done, the logs of a failed step) and writes the cache
// hit report from BuildKit's own records.
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import { DockerError, EsbError } from '../errors.ts'
import type { SkipInfo, StepOf } from '../plan/types.ts'
import { ProgressCollector, culprit, hitReport, reportText, stepOf, type HitReport } from './hitrate.ts'

interface Acc { col: ProgressCollector; raw: string[]; t0: number }

/** Log lines of one vertex, from rawjson `logs` records (base64 data). */
interface RawLog { vertex?: string; data?: string }

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
    const acc = this.reports.get(rep.file) ?? { col: new ProgressCollector(), raw: [], t0: Date.now() }
    this.reports.set(rep.file, acc)
    const { col, raw, t0 } = acc
    const log = this.runner.log
    const logs = new Map<string, string[]>()
    const onLine = (line: string) => {
      raw.push(line)
      if (!line.startsWith('{')) { col.line(line); log(line); return } // warnings, errors, plain progress
      try {
        const rec = JSON.parse(line) as { logs?: RawLog[] }
        for (const l of rec.logs ?? []) {
          const key = l.vertex ?? ''
          const arr = logs.get(key) ?? []
          arr.push(...Buffer.from(l.data ?? '', 'base64').toString('utf8').split('\n').filter(Boolean))
          logs.set(key, arr.slice(-30))
        }
      } catch { /* not ours */ }
      for (const v of col.line(line)) {
        if (!stepOf(v.name) && !v.error) continue
        // a cache that does not exist yet is not a failure (ignore-error / first run)
        if (v.error && /importing cache manifest from|exporting cache to/.test(v.name)) { log(`${v.name}  (skipped: ${v.error.split(': ').pop()})`); continue }
        const secs = v.startedMs && v.completedMs ? ` ${((v.completedMs - v.startedMs) / 1000).toFixed(1)}s` : ''
        log(`${v.name.length > 100 ? v.name.slice(0, 97) + '...' : v.name}  ${v.error ? 'ERROR: ' + v.error : v.cached ? 'CACHED' : 'done' + secs}`)
        if (v.error) {
          const digest = [...col.vertices.entries()].find(([, x]) => x === v)?.[0]
          for (const l of (digest && logs.get(digest)) || []) log(`  | ${l}`)
        }
      }
    }
    let failed = false
    try {
      await this.runner.run(st.argv, { env: st.env, cwd: st.cwd, onLine })
    } catch (e) {
      failed = true
      const bad = culprit(col.vertices.values())
      if (bad && e instanceof DockerError) {
        const hint = /no space left on device/.test(bad.error ?? '') ? 'free some space (docker esb prune) and build again' : "the step's last log lines are above"
        throw new EsbError(`${bad.name.length > 120 ? bad.name.slice(0, 117) + '...' : bad.name} failed: ${bad.error}; ${hint} (exit ${e.exitCode})`, e.exitCode)
      }
      throw e
    } finally {
      const report = hitReport(rep.command, col.vertices.values(), Date.now() - t0, failed, rep.targets?.length === 1 ? rep.targets[0] : undefined)
      if (this.skip && this.skip.reportFile === rep.file) Object.assign(report, { skipped: this.skip.skipped, rebuilt: this.skip.rebuild })
      this.write(rep.file, report, raw)
      if (!failed && rep.final !== false) log(reportText(report).trimEnd())
    }
  }

  /** The report of a build that sent nothing to bake: every target unchanged. */
  skippedOnly(k: SkipInfo): void {
    const report: HitReport = { ...hitReport(k.command, [], 0), skipped: k.skipped, rebuilt: k.rebuild }
    this.write(k.reportFile, report, [])
    this.runner.log(`nothing to build: ${k.skipped.length} target(s) unchanged`)
  }

  private write(file: string, report: HitReport, raw: string[]): void {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
    fs.writeFileSync(file.replace(/\.json$/, '.progress.log'), raw.join('\n') + '\n')
    this.last = report
  }
}
