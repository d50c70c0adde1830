// build, up, down: plan first (plain data), then print it (--dry-run) or run it.
import fs from 'node:fs'
import path from 'node:path'
import type { CommandSpec, CommandCtx } from './types.ts'
import { settingsFrom, renderFor } from '../context.ts'
import { bakePrint, builderInputs, buildxVersion, composeConfig, functionDockerfiles, localCaches, runId } from '../gather.ts'
import { buildPlan, defaultGroups, downPlan, prunePlan, upPlan, type Plan } from '../plan.ts'
import { planToJson, planToText } from '../show.ts'

const DRY: [string, string][] = [
  ['--dry-run', 'print the plan and change nothing (may ask docker read-only questions)'],
  ['--json', 'with --dry-run: the plan as JSON (every docker call as an argv array with its env); else the cache hit report as JSON on stdout'],
]

async function runOrShow(c: CommandCtx, plan: Plan): Promise<number> {
  if (c.flags['dry-run']) {
    c.io.out(c.flags.json ? planToJson(plan, c.runner.docker, c.runner.globalFlags) : planToText(plan, c.runner.docker, c.runner.globalFlags))
    return 0
  }
  await c.runner.execute(plan)
  if (c.flags.json && c.runner.lastReport) c.io.out(JSON.stringify(c.runner.lastReport, null, 2) + '\n')
  return 0
}

export const build: CommandSpec = {
  name: 'build',
  usage: '[OPTIONS] [-- BAKE FLAGS]',
  summary: 'Render, ensure the registry and the builder, then docker buildx bake with per-target caches',
  details: 'Bakes the base images first, then control and function images on the bases just pushed (pinned by\ndigest), all pushed to the local registry 127.0.0.1:<port>, and prints the cache hit rate.\nFlags after -- go to docker buildx bake.',
  flags: [...DRY, ['--provenance', 'keep provenance attestations (off by default: they change digests on every build)']],
  strings: [],
  booleans: ['provenance'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const r = renderFor(s)
    const fns = functionDockerfiles(s)
    const bx = await buildxVersion(c.runner)
    const print = await bakePrint(s, c.runner, r, defaultGroups(s, false))
    const plan = buildPlan({ buildxVersion: bx, settings: s, renderWrites: r.writes, builder: builderInputs(s, c.io.env), bakePrint: print, functionDockerfiles: fns, runId: runId(), extraArgs: c.flags['--'], localCaches: localCaches(s) })
    return runOrShow(c, plan)
  },
}

export const up: CommandSpec = {
  name: 'up',
  usage: '[OPTIONS] [-- COMPOSE UP FLAGS]',
  summary: 'Render, ensure the registry and the builder, then docker compose up --build -d with per-service caches',
  details: 'Bakes the base images the services build on, then runs compose on the same builder (BUILDX_BUILDER)\nwith per-service caches, and prints the cache hit rate. Flags after -- go to docker compose up.',
  flags: [...DRY, ['--provenance', 'keep provenance attestations']],
  strings: [],
  booleans: ['provenance'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const r = renderFor(s)
    const bx = await buildxVersion(c.runner)
    const cfg = await composeConfig(s, c.runner, r)
    const hasBake = s.bake.files.every((f) => r.rendered.some((x) => path.join(s.templates.out, x.relPath) === path.resolve(s.projectDir, f)) || fs.existsSync(path.resolve(s.projectDir, f)))
    const print = hasBake ? await bakePrint(s, c.runner, r, ['base-images']) : undefined
    const plan = upPlan({ buildxVersion: bx, bakePrint: print, settings: s, renderWrites: r.writes, builder: builderInputs(s, c.io.env), composeConfig: cfg, runId: runId(), extraArgs: c.flags['--'], localCaches: localCaches(s) })
    return runOrShow(c, plan)
  },
}

export const down: CommandSpec = {
  name: 'down',
  usage: '[OPTIONS] [-- COMPOSE DOWN FLAGS]',
  summary: 'Stop the stack (the registry keeps running unless --registry)',
  flags: [...DRY, ['--registry', 'also stop the local registry (its data volume is kept)']],
  strings: [],
  booleans: ['registry'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    return runOrShow(c, downPlan(s, !!c.flags.registry, c.flags['--']))
  },
}

export const prune: CommandSpec = {
  name: 'prune',
  usage: '[--local] [--builder] [--registry] [--dry-run]',
  summary: 'Free space: old local cache exports, the builder cache, unreferenced registry blobs',
  details: 'With no option: --local and --builder. --registry stops the registry for a moment to garbage-collect it\n(blobs no tag refers to, e.g. replaced cache refs); its images and current caches stay.',
  flags: [
    ['--local', 'local cache exports that are not current (older than 30 min), run folders older than a day'],
    ['--builder', 'the builder\'s BuildKit cache beyond [builder] gc_keep'],
    ['--registry', 'garbage-collect the registry (stops it briefly)'],
    DRY[0], DRY[1],
  ],
  strings: [],
  booleans: ['local', 'builder', 'registry'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const any = c.flags.local || c.flags.builder || c.flags.registry
    return runOrShow(c, prunePlan(s, { local: any ? !!c.flags.local : true, builder: any ? !!c.flags.builder : true, registry: !!c.flags.registry }))
  },
}
