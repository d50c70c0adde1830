// Executes a plan step by step: each step kind is handed to the capability
// that acts on it (builder/, registry/, cache/, report/, render/). Docker is
// spawned only through the runner. New step kind: add it to plan/types.ts,
// plan/show.ts and the switch below (both fail to compile without it).
import fs from 'node:fs'
import { EsbError } from '../errors.ts'
import type { Runner } from '../docker/runner.ts'
import { withMutex, withShared, type LockOptions } from '../lock/lock.ts'
import { writeFileAtomic } from '../render/files.ts'
import { stateMkdir, stateRemove } from '../project/statefs.ts'
import { pinBases } from '../bake/phases.ts'
import type { BakeMetadata } from '../docker/bakefile.ts'
import { promoteCache, pruneLocal, seedGen } from '../cache/local.ts'
import { ensureBuilder } from '../builder/ensure.ts'
import { ensureRegistry } from '../registry/ensure.ts'
import { Reporter } from './reporter.ts'
import type { HitReport } from '../report/hitrate.ts'
import { readBakeMetadata, runMetadata, type TargetMetadata } from '../report/metadata.ts'
import type { Plan, Step } from '../plan/types.ts'
import { skipLines, unknownStep } from '../plan/show.ts'
import { writeRecord, writeStatCache } from '../skip/state.ts'
import { parseContainers, parseImageIds } from '../compose/engine.ts'
import { onForcedExit } from '../exit-cleanup.ts'
import { checkRegistry, copyImages } from '../buildregistry/run.ts'
import { publishKeys, reuseByKey } from '../skip/bykey-run.ts'
import { dropKeyTags } from '../prune/keytags.ts'
import { deleteManifests } from '../prune/shared-run.ts'
import { mib } from '../report/meter.ts'

export class Executor {
  private reporter: Reporter

  constructor(private runner: Runner) {
    this.reporter = new Reporter(runner)
  }

  /** --metadata-file: what was written (for --json) */
  metadata: Record<string, TargetMetadata> | null = null

  /** The hit report of the last build this executor ran (for --json). */
  get lastReport(): HitReport | null {
    return this.reporter.last
  }

  async execute(plan: Plan): Promise<void> {
    if (plan.skip) for (const l of skipLines(plan.skip)) this.runner.log(`# ${l}`)
    this.reporter.skip = plan.skip ?? null
    // a failed or cancelled run leaves neither its run folder nor its unpromoted cache exports
    const leftovers = new Set(
      plan.steps.flatMap((st) =>
        st.kind === 'cleanup' ? st.paths : st.kind === 'promote-cache' ? st.gens.map((g) => g.gen) : [],
      ),
    )
    const drop = () => {
      for (const p of leftovers)
        try {
          stateRemove(p)
        } catch {
          /* behind a link: left alone */
        }
    }
    const forced = onForcedExit(drop)
    try {
      for (const step of plan.steps) {
        this.runner.throwIfCancelled()
        if (step.kind === 'copy-images' && step.background) {
          this.later(this.step(step))
          continue
        }
        // a copy waits for the copies still running (the images it names were left to them)
        if (step.kind === 'copy-images') await this.joined()
        await this.step(step)
        // promoted exports are the current cache now: never removed
        if (step.kind === 'promote-cache') for (const g of step.gens) leftovers.delete(g.gen)
      }
      await this.joined()
    } catch (e) {
      // a copy still running would hold the exit until it ends: it stops (it tags nothing until its image is in)
      this.background.abort()
      drop()
      throw e
    } finally {
      forced()
    }
    // nothing went to bake: the report still says what was skipped
    if (plan.skip && !this.reporter.last) this.reporter.skippedOnly(plan.skip)
  }

  /** Blobs the copies of this run sent (buildregistry/run.ts copyImages). */
  private held = new Map<string, Promise<string | null>>()

  /** Steps running while the next ones do (a copy-images with `background`), and what stops them. */
  private running: Promise<void>[] = []
  private background = new AbortController()

  private later(p: Promise<void>): void {
    p.catch(() => {}) // awaited by joined(); a run that fails first stops it
    this.running.push(p)
  }

  private async joined(): Promise<void> {
    const all = this.running.splice(0)
    for (const p of all) await p
  }

  private lockOptions(): LockOptions {
    return { check: () => this.runner.throwIfCancelled(), onWait: (what) => this.runner.log(`# waiting for ${what}`) }
  }

  private async step(st: Step): Promise<void> {
    switch (st.kind) {
      case 'write':
        writeFileAtomic(st.path, st.content, st.mode)
        return
      case 'pin-bases': {
        let md: BakeMetadata
        try {
          md = JSON.parse(fs.readFileSync(st.metadataFile, 'utf8')) as BakeMetadata
        } catch {
          throw new EsbError(`the base build left no metadata at ${st.metadataFile}; run the build again`)
        }
        let json
        try {
          json = pinBases(st.json, st.refs, md)
        } catch (e) {
          throw new EsbError((e as Error).message)
        }
        writeFileAtomic(st.path, JSON.stringify(json, null, 2) + '\n')
        return
      }
      case 'record-inputs': {
        let md: BakeMetadata = {}
        try {
          md = JSON.parse(fs.readFileSync(st.metadataFile, 'utf8')) as BakeMetadata
        } catch {
          /* nothing recorded: the next build rebuilds */
        }
        for (const [target, r] of Object.entries(st.records)) {
          const digest = md[target]?.['containerimage.digest']
          if (digest) writeRecord(st.dir, { target, tag: r.tag, key: r.key, digest, inputs: r.inputs })
        }
        return
      }
      case 'record-services': {
        const ask = (argv: string[]) => this.runner.run(argv, { capture: true, allowFail: true })
        // no service with a key (each always built): only the stack is recorded
        const [images, ps] = await Promise.all([Object.keys(st.records).length ? ask(st.inspect) : null, ask(st.ps)])
        const ids = images
          ? parseImageIds(
              images.stdout,
              Object.values(st.records).map((r) => r.image),
            )
          : {}
        for (const [name, r] of Object.entries(st.records)) {
          const id = ids[r.image]
          if (id) writeRecord(st.dir, { target: `service:${name}`, tag: r.tag, key: r.key, digest: id, inputs: r.inputs })
        }
        if (ps.code === 0)
          writeFileAtomic(
            st.stack.file,
            JSON.stringify({ project: st.stack.project, config: st.stack.config, containers: parseContainers(ps.stdout) }) + '\n',
          )
        return
      }
      case 'prune-local': {
        const r = pruneLocal(st.cacheDir, st.runsDir, st.minAgeMs)
        this.runner.log(`# local caches: removed ${r.removed.length} old export(s) and run folder(s)`)
        return
      }
      case 'cleanup':
        for (const p of st.paths) stateRemove(p)
        return
      case 'write-metadata':
        this.metadata = runMetadata(st.targets, st.bakeFiles.map(readBakeMetadata))
        writeFileAtomic(st.path, JSON.stringify(this.metadata, null, 2) + '\n', 0o644)
        return
      case 'mkdir':
        for (const p of st.paths) stateMkdir(p)
        return
      case 'docker': {
        this.runner.log(`# ${st.why}`)
        const go = () =>
          st.report ? this.reporter.run(st) : this.runner.run(st.argv, { env: st.env, cwd: st.cwd }).then(() => undefined)
        // a build holds its builder shared: no recreation under a running build
        return st.builder ? withShared(`builder-${st.builder}`, go, this.lockOptions()) : go()
      }
      case 'ensure-registry':
        return withMutex(`registry-${st.port}`, () => ensureRegistry(this.runner, st), this.lockOptions())
      case 'ensure-builder':
        return withMutex(`builder-${st.name}`, () => ensureBuilder(this.runner, st), this.lockOptions())
      case 'check-registry':
        return checkRegistry(st, this.runner.signal)
      case 'copy-images': {
        const signal = st.background ? AbortSignal.any([this.runner.signal, this.background.signal]) : this.runner.signal
        const r = await copyImages(st, signal, this.held)
        this.runner.log(
          `# copied ${r.copied.length} image(s) from ${st.from.address} into ${st.to} (${r.blobsPushed} blob(s), ${mib(r.bytesPushed)}); ${r.present} already there`,
        )
        if (r.absent.length)
          this.runner.log(`# not in ${st.from.address}, not copied (targets that do not push?): ${r.absent.join(', ')}`)
        return
      }
      case 'reuse-by-key':
        this.runner.log(`# ${await reuseByKey(st, this.runner.signal)}`)
        return
      case 'delete-manifests':
        this.runner.log(`# ${await deleteManifests(st, this.runner.signal)}`)
        return
      case 'drop-key-tags':
        this.runner.log(`# ${await dropKeyTags(this.runner, st)}`)
        return
      case 'publish-keys':
        for (const l of await publishKeys(st, this.runner.signal)) this.runner.log(`# ${l}`)
        return
      case 'save-stat-cache':
        writeStatCache(st.dir, st.cache)
        return
      case 'seed-cache':
        for (const g of st.gens) seedGen(g.dir, g.gen)
        return
      case 'promote-cache':
        // never fails the build: an export that cannot be made current leaves the previous one, in one line
        for (const g of st.gens) {
          const note = promoteCache(g.dir, g.gen)
          if (note) this.runner.log(`# ${note}`)
        }
        return
      default:
        unknownStep(st)
    }
  }
}
