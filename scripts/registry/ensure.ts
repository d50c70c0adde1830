// Acting on the registry plan: reuse a registry that answers (unless it is
// another project's container), refuse a port held by something else and
// name the holder, else start it and wait until it is ready.
import { EsbError } from '../errors.ts'
import type { Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { httpStatus, portFree } from './probe.ts'
import { portHolder } from './portholder.ts'

async function containersOnPort(runner: Runner, port: number, env?: Record<string, string>): Promise<string[]> {
  const r = await runner.run(['ps', '--filter', `publish=${port}`, '--format', '{{.Names}}'], { capture: true, allowFail: true, env })
  return r.stdout.trim().split('\n').filter(Boolean)
}

export async function ensureRegistry(runner: Runner, st: StepOf<'ensure-registry'>): Promise<void> {
  if ((await httpStatus(st.url)) === 200) {
    // a registry answers: ours (or a plain host process) is reused; another project's container is not ours to use
    const holder = await containersOnPort(runner, st.port, st.env)
    if (holder.length && !holder.includes(st.containerName)) {
      throw new EsbError(`registry port ${st.port} is held by container ${holder.join(', ')}, not ${st.containerName}; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
    }
    runner.log(`# registry answers on ${st.url}: reused`)
    return
  }
  if (!(await portFree(st.port))) {
    const holder = await containersOnPort(runner, st.port)
    const who = holder.length ? `container ${holder.join(', ')}` : portHolder(st.port) ?? 'another process'
    throw new EsbError(`registry port ${st.port} is held by ${who} that is not a registry; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
  }
  runner.log(`# ${st.why}`)
  await runner.run(st.up, { env: st.env, cwd: st.cwd })
  const deadline = Date.now() + st.timeoutMs
  while (Date.now() < deadline) {
    runner.throwIfCancelled()
    if ((await httpStatus(st.url)) === 200) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new EsbError(`registry did not answer 200 on ${st.url} within ${st.timeoutMs / 1000}s; see 'docker logs ${st.containerName}'`)
}
