// Acting on the registry plan: reuse a registry that answers (unless it is
// another project's container), refuse a port held by something else and
// name the holder, else start it and wait until it is ready.
import { EsbError } from '../errors.ts'
import type { Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { httpStatus, isRegistry, portFree } from './probe.ts'
import { portHolder } from './portholder.ts'
import { boundHosts, publishedOn, widerThan } from './published.ts'
import { stateWrite } from '../project/statefs.ts'
import { recordAdopted } from './owner.ts'

const PROJECT_LABEL = 'com.docker.compose.project'

interface Holder {
  name: string
  project: string
  /** `docker ps` Ports: `127.0.0.1:5010->5010/tcp, ...` */
  ports: string
}

/** The docker call that lists the containers publishing the port (asked early by registryFirst: Runner.prefetch). */
export const portHoldersArgv = (port: number): string[] => [
  'ps',
  '--filter',
  `publish=${port}`,
  '--format',
  `{{.Names}}\t{{.Label "${PROJECT_LABEL}"}}\t{{.Ports}}`,
]

/** Containers publishing the port, with their compose project (one docker call). */
async function containersOnPort(runner: Runner, port: number, env?: Record<string, string>): Promise<Holder[]> {
  const r = await runner.run(portHoldersArgv(port), { capture: true, allowFail: true, env })
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, project = '', ports = ''] = l.split('\t')
      return { name, project, ports }
    })
}

const describe = (h: Holder[]) => `container ${h.map((x) => x.name).join(', ')}`

/** Who holds the port when it is not our registry: a container, else the host process. */
async function holderOf(runner: Runner, port: number): Promise<string> {
  const h = await containersOnPort(runner, port)
  return h.length ? describe(h) : (portHolder(port) ?? 'another process')
}

/** The compose override of the registry's ports, written atomically (a parallel run may read it), through no link. */
function writeOverride(o: { path: string; content: string }): void {
  stateWrite(o.path, o.content)
}

export async function ensureRegistry(runner: Runner, st: StepOf<'ensure-registry'>): Promise<void> {
  const probe = await isRegistry(st.url)
  if (probe.registry) {
    // a registry answers: ours (or a plain host process) is reused; another project's container is not ours to use
    const holder = await containersOnPort(runner, st.port, st.env)
    const ours = holder.find((h) => h.name === st.containerName)
    if (holder.length && !ours) {
      throw new EsbError(
        `registry port ${st.port} is held by ${describe(holder)}, not ${st.containerName}; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`,
      )
    }
    const wide = ours ? widerThan(publishedOn(ours.ports, st.port), st.bind) : []
    if (wide.length)
      runner.log(
        `# registry container ${ours!.name} is published on ${wide.join(', ')}, not only ${st.bind} ([registry] bind): it was started outside docker esb; 'docker esb down --registry' and the next run publishes it on ${st.bind} only`,
      )
    runner.log(
      `# registry answers on ${st.url}: reused (${ours ? `container ${ours.name}${ours.project ? `, compose project ${ours.project}` : ''}` : (portHolder(st.port) ?? 'a host process')})`,
    )
    return
  }
  if (probe.answers) {
    throw new EsbError(
      `registry port ${st.port} is held by ${await holderOf(runner, st.port)}, which answers HTTP but is not a registry (no Docker-Distribution-Api-Version header on /v2/); pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`,
    )
  }
  if (!(await portFree(st.port))) {
    throw new EsbError(
      `registry port ${st.port} is held by ${await holderOf(runner, st.port)} that is not a registry; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`,
    )
  }
  // a stopped registry container of that name (e.g. from the repo's own compose project) is started as it is
  const existing = await runner.run(
    [
      'container',
      'inspect',
      '--format',
      `{{index .Config.Labels "${PROJECT_LABEL}"}}\t{{json .HostConfig.PortBindings}}\t{{.Id}}`,
      st.containerName,
    ],
    { capture: true, allowFail: true, env: st.env },
  )
  const [project = '', bindings = '', id = ''] = existing.stdout.trim().split('\t')
  if (existing.code === 0 && project && project !== st.composeProject) {
    // started as it is, so only when it publishes nowhere but on the bind
    const wide = widerThan(boundHosts(bindings), st.bind)
    if (wide.length)
      throw new EsbError(
        `registry container ${st.containerName} (compose project ${project}) publishes its port on ${wide.join(', ')}, not only ${st.bind} ([registry] bind); remove it with 'docker rm ${st.containerName}' (its data volume is kept) and run again: docker esb starts it on ${st.bind} only`,
      )
    runner.log(`# registry: starting container ${st.containerName} of compose project ${project} as it is`)
    await runner.run(['start', st.containerName], { env: st.env, capture: true })
    // adopted: down --registry and prune --registry may act on it (registry/owner.ts)
    if (id) recordAdopted(st.adopted, st.containerName, id)
  } else {
    runner.log(`# ${st.why}`)
    writeOverride(st.override)
    await runner.run(st.up, { env: st.env, cwd: st.cwd })
  }
  const deadline = Date.now() + st.timeoutMs
  while (Date.now() < deadline) {
    runner.throwIfCancelled()
    if ((await httpStatus(st.url)) === 200) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new EsbError(
    `registry did not answer 200 on ${st.url} within ${st.timeoutMs / 1000}s; see 'docker logs ${st.containerName}'`,
  )
}
