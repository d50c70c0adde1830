// What the plan tests of several capabilities share (bake, builder, compose,
// functions, prune, skip): the `docker buildx bake --print` of a default
// project, its build plan, a plan's docker steps, and one target's gathered
// inputs. Not a test file (no .test.ts).
import type { Inputs } from '../../scripts/project/config.ts'
import { buildPlan, type BuildPlanInputs } from '../../scripts/bake/plan.ts'
import type { Plan } from '../../scripts/plan/types.ts'
import type { Gathered } from '../../scripts/skip/keys.ts'
import { settings } from '../lib/settings.ts'

const tag = (t: string) => ({ tags: [`127.0.0.1:5010/esb-${t}:latest`] })
export const print = {
  group: {
    'base-images': { targets: ['lambda-base', 'os-base', 'python-base'] },
    'control-images-docker': { targets: ['gateway-docker', 'agent-docker', 'provisioner'] },
  },
  target: {
    'os-base': tag('os-base'),
    'lambda-base': { ...tag('lambda-base'), contexts: { 'os-base': 'target:os-base' } },
    'python-base': { ...tag('python-base'), contexts: { 'os-base': 'target:os-base' } },
    'gateway-docker': {
      ...tag('gateway-docker'),
      contexts: { 'python-base': 'target:python-base', config: 'services/gateway/config' },
    },
    'agent-docker': { ...tag('agent-docker'), contexts: { 'os-base': 'target:os-base' } },
    provisioner: { ...tag('provisioner'), contexts: { 'python-base': 'target:python-base' } },
  },
}
/** The build plan of the project at /p (settings from `over`) with two functions, run R1; `more`: other plan inputs. */
export const bp = (
  over: Partial<Inputs> = {},
  fns = ['functions/hello/Dockerfile', 'functions/echo/Dockerfile'],
  more: Partial<BuildPlanInputs> = {},
) =>
  buildPlan({
    settings: settings(over),
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: fns,
    runId: 'R1',
    extraArgs: [],
    ...more,
  })
export const docker = (p: Plan) =>
  p.steps.filter((s) => s.kind === 'docker') as Extract<Plan['steps'][number], { kind: 'docker' }>[]

/** One target's inputs as skip/gather.ts gives them: one file, no deps. */
export const gathered = (over: Partial<Gathered> = {}): Gathered => ({
  definition: { tags: ['t'] },
  args: {},
  dockerfile: 'df',
  files: { '.:a': 'f644:1' },
  targets: {},
  images: [],
  never: null,
  ...over,
})
