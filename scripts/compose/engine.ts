// What the engine is asked about a compose stack, as argv for the runner and
// parsers of the answers: the images' ids and the project's containers. Pure.

/** `busybox` -> `busybox:latest`, `docker.io/library/x:1` -> `x:1`: as the engine lists RepoTags. */
export function normalizeImage(ref: string): string {
  let r = ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '')
  const slash = r.lastIndexOf('/')
  if (!r.includes('@') && r.lastIndexOf(':') <= slash) r += ':latest'
  return r
}

/** `docker image inspect --format '{{json .RepoTags}} {{.Id}}'` output -> image -> id (null: not in the engine). */
export function parseImageIds(out: string, images: string[]): Record<string, string | null> {
  const byTag = new Map<string, string>()
  for (const line of out.split('\n')) {
    const m = /^(\[.*\]) (\S+)$/.exec(line.trim())
    if (!m) continue
    try {
      for (const t of JSON.parse(m[1]) as string[]) byTag.set(t, m[2])
    } catch {
      /* not ours */
    }
  }
  return Object.fromEntries(images.map((i) => [i, byTag.get(normalizeImage(i)) ?? null]))
}

/** The one docker call that asks the engine for the images' ids (parsed by parseImageIds). */
export function imageIdsArgv(images: string[]): string[] {
  return ['image', 'inspect', '--format', '{{json .RepoTags}} {{.Id}}', ...[...new Set(images)].sort()]
}

/** One line per container of the project: `<service> <config-hash> <image>` (compose's own labels). */
export function containersArgv(project: string): string[] {
  return [
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--format',
    '{{.Label "com.docker.compose.service"}} {{.Label "com.docker.compose.config-hash"}} {{.Label "com.docker.compose.image"}}',
  ]
}

export function parseContainers(out: string): Record<string, string[]> {
  const by: Record<string, string[]> = {}
  for (const line of out.split('\n')) {
    const [svc, hash, image] = line.trim().split(' ')
    if (svc && hash) (by[svc] ??= []).push(`${hash} ${image ?? ''}`)
  }
  for (const v of Object.values(by)) v.sort()
  return by
}
