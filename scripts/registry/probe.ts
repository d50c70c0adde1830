// Looking at the registry port without a docker call: does it answer, is it free.
import http from 'node:http'
import net from 'node:net'

/** GET on loopback; never through a proxy (node's http ignores proxy variables). Status 0: no answer. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('timeout', () => {
      req.destroy()
      resolve({ status: 0, headers: {} })
    })
    req.on('error', () => resolve({ status: 0, headers: {} }))
  })
}

export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return (await httpGet(url, timeoutMs)).status
}

/** A registry answers GET /v2/ with 200 and the distribution API header; anything else on the port is not one. */
export async function isRegistry(url: string): Promise<{ answers: boolean; registry: boolean }> {
  const r = await httpGet(url)
  return {
    answers: r.status !== 0,
    registry: r.status === 200 && /^registry\/2\.0/.test(String(r.headers['docker-distribution-api-version'] ?? '')),
  }
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}
