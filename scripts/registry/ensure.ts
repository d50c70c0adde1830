// Acting on the registry plan: reuse a registry that answers (unless it is
// another project's container), refuse a port held by something else and
// name the holder, else start it and wait until it is ready.
import { EsbError } from '../errors.ts'
import type { Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { httpStatus, isRegistry, portFree } from './probe.ts'
import { portHolder } from './portholder.ts'

async function composeProjectOf(runner: Runner, container: string): Promise<string> {
  const r = await runner.run(['container', 'inspect', '--format', '{{index .Config.Labels "com.docker.compose.project"}}', container], { capture: true, allowFail: true })
  const p = r.code === 0 ? r.stdout.trim() : ''
  return p ? `, compose project ${p}` : ''
}

async function containersOnPort(runner: Runner, port: number, env?: Record<string, string>): Promise<string[]> {
  const r = await runner.run(['ps', '--filter', `publish=${port}`, '--format', '{{.Names}}'], { capture: true, allowFail: true, env })
  return r.stdout.trim().split('\n').filter(Boolean)
}

export async function ensureRegistry(runner: Runner, st: StepOf<'ensure-registry'>): Promise<void> {
  const probe = await isRegistry(st.url)
  if (probe.registry) {
    // a registry answers: ours (or a plain host process) is reused; another project's container is not ours to use
    const holder = await containersOnPort(runner, st.port, st.env)
    if (holder.length && !holder.includes(st.containerName)) {
      throw new EsbError(`registry port ${st.port} is held by container ${holder.join(', ')}, not ${st.containerName}; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
    }
    runner.log(`# registry answers on ${st.url}: reused (${holder.length ? `container ${holder.join(', ')}${await composeProjectOf(runner, holder[0])}` : portHolder(st.port) ?? 'a host process'})`)
    return
  }
  if (probe.answers) {
    const holder = await containersOnPort(runner, st.port)
    const who = holder.length ? `container ${holder.join(', ')}` : portHolder(st.port) ?? 'another process'
    throw new EsbError(`registry port ${st.port} is held by ${who}, which answers HTTP but is not a registry (no Docker-Distribution-Api-Version header on /v2/); pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
  }
  if (!(await portFree(st.port))) {
    const holder = await containersOnPort(runner, st.port)
    const who = holder.length ? `container ${holder.join(', ')}` : portHolder(st.port) ?? 'another process'
    throw new EsbError(`registry port ${st.port} is held by ${who} that is not a registry; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
  }
  // a stopped registry container of that name (e.g. from the repo's own compose project) is started as it is
  const existing = await runner.run(['container', 'inspect', '--format', '{{index .Config.Labels "com.docker.compose.project"}}', st.containerName], { capture: true, allowFail: true, env: st.env })
  if (existing.code === 0 && existing.stdout.trim() && existing.stdout.trim() !== st.composeProject) {
    runner.log(`# registry: starting container ${st.containerName} of compose project ${existing.stdout.trim()} as it is`)
    await runner.run(['start', st.containerName], { env: st.env, capture: true })
  } else {
    runner.log(`# ${st.why}`)
    await runner.run(st.up, { env: st.env, cwd: st.cwd })
  }
  const deadline = Date.now() + st.timeoutMs
  while (Date.now() < deadline) {
    runner.throwIfCancelled()
    if ((await httpStatus(st.url)) === 200) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new EsbError(`registry did not answer 200 on ${st.url} within ${st.timeoutMs / 1000}s; see 'docker logs ${st.containerName}'`)
}
