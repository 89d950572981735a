// Adapters for the npm peers, each used the way its README (and source) says, with its defaults
// unless the job needs otherwise:
// - hashring 3.2.0: `new HashRing(servers)`: ketama, md5 of the key, 40 vnodes × 4 replicas = 160
//   points per server, and an LRU cache of 5,000 keys in front of get() (our 65,536 cycled keys
//   miss it: each get() hashes and searches, as with real, mostly distinct keys). Its ring holds
//   `ring.length` points: 160,000 for 1,000 servers of equal weight.
// - consistent-hash 1.2.2: `new ConsistentHash({ distribution: 'uniform' })`, add() each server
//   (default weight 40 control points, range 100,003: fits up to 2,500 nodes), get(key): PJW string
//   hash + binary search. Its ring holds `keyCount` points: 40,000 for 1,000 servers.
// - skeleton-rendezvous 1.1.3: `new SkeletonRendezvousHasher({ sites })` (fanout 2, clusters of 16,
//   md5), findSite(key): O(log n) levels of md5 then HRW inside one cluster.
// - load-balancers 1.3.52: `new P2cBalancer(n)`, pick(): two Math.random() indices, the less loaded
//   bin wins and is incremented.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface HashRingLike { get(key: string): string | undefined; ring: unknown[] }
interface ConsistentHashLike { add(node: string): unknown; get(key: string): string | null; keyCount: number }
interface SkeletonLike { findSite(key: string): string | null }
interface P2cLike { pick(): number }

export function makeHashring(ids: string[]): HashRingLike {
  const HashRing = require('hashring') as new (servers: string[]) => HashRingLike;
  return new HashRing(ids);
}

export function makeConsistentHash(ids: string[]): ConsistentHashLike {
  const ConsistentHash = require('consistent-hash') as new (opts: object) => ConsistentHashLike;
  const hr = new ConsistentHash({ distribution: 'uniform' });
  for (const id of ids) hr.add(id);
  return hr;
}

/**
 * Points per server of a peer's ring as built with its defaults (hashring: 40 vnodes × 4 = 160,
 * consistent-hash: 40), read from the built ring so that ringroute's twin ring follows the peer.
 */
export function pointsPerServer(peer: HashRingLike | ConsistentHashLike, servers: number): number {
  const total = 'keyCount' in peer ? peer.keyCount : peer.ring.length;
  return total / servers;
}

export function makeSkeleton(ids: string[]): SkeletonLike {
  const Skeleton = require('skeleton-rendezvous') as new (opts: object) => SkeletonLike;
  return new Skeleton({ sites: ids });
}

export function makeP2c(n: number): P2cLike {
  const { P2cBalancer } = require('load-balancers') as { P2cBalancer: new (count: number) => P2cLike };
  return new P2cBalancer(n);
}

export function peerVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}
