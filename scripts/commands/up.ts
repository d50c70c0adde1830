// docker esb up: flags -> settings -> compose services and bake bases -> a plan.
import fs from 'node:fs'
import path from 'node:path'
import { FORMAT_FLAG, str, type CommandSpec } from './types.ts'
import { PROGRESS_FLAG, progressMode, withHistory } from '../report/mode.ts'
import { DRY_RUN_FLAGS, registryFirst, runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { renderForStack } from '../render/plan.ts'
import { buildxVersion, versionLess } from '../docker/version.ts'
import { bakeInputs } from '../bake/inspect.ts'
import { defaultGroups, groupTargets } from '../bake/phases.ts'
import { SKIP_FLAG, skipFor } from '../bake/skips.ts'
import { composeConfig, engineImageIds, projectContainers } from '../compose/inspect.ts'
import { upPlan } from '../compose/plan.ts'
import { bakedRefs, serviceContexts, sharedTargets } from '../compose/share.ts'
import { checkServices, serviceImages, servicesOff } from '../compose/skip.ts'
import { inputsDir, readStatCache } from '../skip/state.ts'
import { statePaths } from '../project/names.ts'
import { builderInputs } from '../builder/inspect.ts'
import { localCaches } from '../cache/local.ts'
import { runId } from '../plan/types.ts'

export const up: CommandSpec = {
  name: 'up',
  usage: '[OPTIONS] [-- COMPOSE UP FLAGS]',
  summary: 'Ensure the registry and the builder, bake the bases, then docker compose up --build -d with per-service caches',
  details:
    'Bakes the base images the services build on, then runs compose on the same builder (BUILDX_BUILDER)\nwith per-service caches, and prints the cache hit rate. Flags after -- go to docker compose up.',
  flags: [...DRY_RUN_FLAGS, FORMAT_FLAG, PROGRESS_FLAG, SKIP_FLAG.flag, ['--provenance', 'keep provenance attestations']],
  strings: ['format', 'progress'],
  booleans: ['provenance', SKIP_FLAG.boolean],
  defaults: SKIP_FLAG.defaults,
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const progress = progressMode(str(c.flags, 'progress'), c.io.env, c.io.errIsTTY === true)
    const r = renderForStack(s)
    const hasBake = s.bake.files.every(
      (f) =>
        r.rendered.some((x) => path.join(s.templates.out, x.relPath) === path.resolve(s.projectDir, f)) ||
        fs.existsSync(path.resolve(s.projectDir, f)),
    )
    // asked at once: the compose config, and the bases to bake first with the
    // control targets whose caches compose services share; and a registry
    // removed since the last run is started, so that the skip check finds its images
    const [cfg, bake] = await Promise.all([
      composeConfig(s, c.runner, r),
      hasBake
        ? bakeInputs(s, c.runner, r, defaultGroups(s, false)).catch(() => bakeInputs(s, c.runner, r, ['base-images']))
        : undefined,
      registryFirst(c, s, r.writes),
    ])
    const inp = {
      progress,
      bakePrint: bake?.print,
      bakeVariables: bake?.variables,
      settings: s,
      renderWrites: r.writes,
      builder: builderInputs(s, c.io.env),
      composeConfig: cfg,
      runId: runId(),
      extraArgs: c.flags['--'],
      localCaches: localCaches(s),
      dockerConfigDir: c.runner.configDir,
    }
    // the bases are skipped when unchanged, as build does (flags after -- go to compose, not bake)
    // and the control targets compose services share a cache with: unchanged since build, their cache is current
    const shared = bake ? [...new Set(Object.values(sharedTargets(s, cfg, bake.print)))] : []
    const images = serviceImages(s.projectName, cfg)
    const [skip, ids, containers] = await Promise.all([
      bake?.print.group?.['base-images']
        ? skipFor(s, { ...inp, bakePrint: bake.print, functionDockerfiles: [], extraArgs: [] }, c.flags.skip === false, [
            'base-images',
            ...shared,
          ])
        : undefined,
      engineImageIds(c.runner, Object.values(images)),
      Object.keys(images).length ? projectContainers(c.runner, s.projectName) : {},
    ])
    // services unchanged since compose built them, their images still in the engine: nothing to build
    const bases = bake ? groupTargets(bake.print, 'base-images') : []
    const dir = inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state)
    const off = servicesOff(
      s,
      c.flags.skip === false,
      c.flags['--'],
      bases.filter((t) => skip?.rebuild[t]),
    )
    const services = Object.keys(images).length
      ? await checkServices(
          s,
          cfg,
          serviceContexts(s, cfg, bake?.print, bakedRefs(s, bake?.print, skip?.skip)),
          skip?.statCache ?? readStatCache(dir),
          ids,
          containers,
          dir,
          off,
          c.runner.configDir,
        )
      : undefined
    // the buildx version decides bake's flags: asked only when a base is baked (a no-op up asks nothing more)
    // also for tty progress: its hit report needs buildx history (0.20+)
    const bx = bases.some((t) => !skip?.skip[t]) || inp.progress === 'tty' ? await buildxVersion(c.runner) : undefined
    const plan = upPlan({ ...inp, progress: withHistory(inp.progress, bx, versionLess), buildxVersion: bx, skip, services })
    return runOrShow(c, plan)
  },
}
