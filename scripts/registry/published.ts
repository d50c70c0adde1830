// Where a registry container is published: the host addresses of its port
// bindings, from `docker ps` or `docker container inspect`. Pure.
import { ALL_INTERFACES } from './plan.ts'

const unbracket = (h: string) => h.replace(/^\[(.*)\]$/, '$1')

/** Host addresses `docker ps` shows the port published on (`0.0.0.0:5010->5010/tcp, [::]:5010->5010/tcp`). */
export function publishedOn(ports: string, port: number): string[] {
  const hosts: string[] = []
  for (const p of ports.split(',').map((x) => x.trim())) {
    const m = /^(.*):(\d+)->/.exec(p)
    if (m && Number(m[2]) === port) hosts.push(unbracket(m[1]))
  }
  return hosts
}

/** Host addresses in `{{json .HostConfig.PortBindings}}` (an empty HostIp: every interface). */
export function boundHosts(json: string): string[] {
  let b: Record<string, { HostIp?: string }[] | null> | null
  try {
    b = JSON.parse(json || 'null') as typeof b
  } catch {
    return []
  }
  return Object.values(b ?? {}).flatMap((l) => (l ?? []).map((x) => unbracket(x.HostIp || '0.0.0.0')))
}

/** The addresses that are not the bind (none when the bind itself is every interface). */
export function widerThan(hosts: string[], bind: string): string[] {
  if (ALL_INTERFACES.has(bind)) return []
  return [...new Set(hosts.filter((h) => h !== unbracket(bind)))]
}
