// Acting on the builder plan: reuse the builder when its fingerprint matches,
// recreate it with --keep-state when its options changed, create it when
// missing. Never the docker driver, never --use. Runs docker only through
// the runner; the caller holds the builder's lock.
import fs from 'node:fs'
import { EsbError } from '../errors.ts'
import { lastLine, type Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { parseInspect, storedBuilder } from './inspect.ts'
import { stateWrite } from '../project/statefs.ts'

export async function ensureBuilder(runner: Runner, st: StepOf<'ensure-builder'>): Promise<void> {
  const ask = () => runner.run(st.inspect, { capture: true, allowFail: true, env: st.env })
  const readState = (): { fingerprint?: string; create?: string[] } => {
    try {
      return JSON.parse(fs.readFileSync(st.stateFile, 'utf8')) as { fingerprint?: string; create?: string[] }
    } catch {
      return {} /* none yet */
    }
  }
  let state = readState()
  // the builder docker esb made with these options, still in buildx's store: nothing to ask buildx
  const stored = storedBuilder(runner.configDir, st.name)
  if (stored?.driver === st.driver && state.fingerprint === st.fingerprint) {
    runner.log(`# builder ${st.name}: reused`)
    return
  }
  let inspect = await ask()
  // the answer may have been asked early (Runner.prefetch), before the lock: asked again before
  // recreating the builder, or before creating one another run may have made since (buildx's store
  // lists it, or this project's builder state names one); a fresh machine has neither
  const made = () => stored !== null || readState().fingerprint !== undefined
  if (inspect.code === 0 ? state.fingerprint !== st.fingerprint : made()) {
    inspect = await ask()
    state = readState()
  }
  const remember = () => {
    stateWrite(st.stateFile, JSON.stringify({ name: st.name, fingerprint: st.fingerprint, create: st.create }, null, 2) + '\n')
  }
  if (inspect.code === 0 && st.createOnly) return
  if (inspect.code === 0) {
    const { driver, networkHost } = parseInspect(inspect.stdout)
    if (driver && driver !== st.driver) {
      throw new EsbError(
        `builder ${st.name} exists with driver ${driver}, not ${st.driver}; remove it ('docker buildx rm ${st.name}') or set BUILDX_BUILDER to another name`,
      )
    }
    if (state.fingerprint === st.fingerprint) {
      runner.log(`# builder ${st.name}: reused`)
      return
    }
    // A builder docker esb did not create (e.g. the repo's own setup_buildx.py) that fits is adopted as it is.
    if (state.fingerprint === undefined && (st.driver !== 'docker-container' || networkHost)) {
      runner.log(
        `# builder ${st.name}: adopted as it is (${st.driver}${st.driver === 'docker-container' ? ', network=host' : ''}; made by another tool)`,
      )
      remember()
      return
    }
    // Options changed (or unknown): recreate, keeping BuildKit's state (the cache).
    const was = new Set(state.create ?? []),
      now = new Set(st.create)
    const diff = [
      ...st.create.filter((a) => !was.has(a)).map((a) => `+${a}`),
      ...(state.create ?? []).filter((a) => !now.has(a)).map((a) => `-${a}`),
    ].filter((a) => !/^[+-]--/.test(a))
    runner.log(
      `# builder ${st.name}: options changed, recreating${st.remove.includes('--keep-state') ? ' with --keep-state' : ''} (${diff.length ? diff.join(' ') : 'buildkitd config or unknown'})`,
    )
    await runner.run(st.remove, { env: st.env })
  } else {
    runner.log(`# ${st.why}: creating`)
  }
  // until it is up, the builder matches nothing: a failed create (it may leave buildx's entry behind)
  // is recreated by the next run, never reused or adopted
  stateWrite(st.stateFile, JSON.stringify({ name: st.name, fingerprint: 'pending', create: st.create }, null, 2) + '\n')
  const created = await runner.run(st.create, { env: st.env, capture: true, allowFail: true })
  if (created.code !== 0) {
    throw new EsbError(`could not create builder ${st.name}: ${lastLine(created.stderr) || 'no output'}; ${st.hint}`)
  }
  // create --bootstrap returns once buildkitd answers (it waits for its workers): the bake that follows
  // does not meet buildx#4021 (a builder running before buildkitd listens), which hits clients that skip
  // that wait
  remember()
}
