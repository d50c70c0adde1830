// Disk used by the registry's data, asked of its container (doctor, status).
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'

/** Bytes under /var/lib/registry in the registry container, or null when it cannot be asked. */
export async function registryDiskBytes(runner: Runner, s: Settings): Promise<number | null> {
  const r = await runner.run(['exec', s.registry.containerName, 'du', '-sk', '/var/lib/registry'], {
    capture: true,
    allowFail: true,
  })
  return r.code === 0 ? Number(r.stdout.split(/\s/)[0]) * 1024 : null
}
