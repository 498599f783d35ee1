"""A site's queued requests in Redis: one sorted set per host, popped only when the host's
turn has come.

A pop is one Lua script: among hosts whose turn has come and with a lease free, it takes the
best request, records it in the worker's in-flight hash, takes a lease and starts the turn.
So a worker never takes a request it could not start at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from crawler.frontier.hosts import HOST_PREFIX, REDIS_NOW, HostRules, host_of
from crawler.frontier.store import SiteKeys

# KEYS: seen set, hosts set; ARGV: fingerprint ('' for a request that skips the filter), score,
# encoded request, host, queue key prefix.  Marks the request seen and queues it in one step,
# queueing first: a worker killed between two separate calls would leave a URL seen but never
# queued, lost to every worker; a failed ZADD (a runtime error does not undo earlier writes)
# marks nothing seen.
_ENQUEUE_SCRIPT = """
if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', ARGV[5] .. ARGV[4], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
return 1
"""

# KEYS: hosts set, in-flight hash; ARGV: queue key prefix, host key prefix, worker id, delay in
# ms (0: none), concurrency, lease TTL in ms.  Returns {request, host, in-flight field}, or the
# milliseconds until the first running turn ends (0: only leases are in the way; -1: nothing
# queued).
_POP_SCRIPT = REDIS_NOW + """
local best, best_score, wait = nil, nil, -1
for _, host in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local top = redis.call('ZRANGE', ARGV[1] .. host, 0, 0, 'WITHSCORES')
  if #top == 0 then
    redis.call('SREM', KEYS[1], host)
  else
    local leases = ARGV[2] .. host .. ':leases'
    redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
    local left = redis.call('PTTL', ARGV[2] .. host .. ':turn')
    if left > 0 then
      if wait < 0 or left < wait then wait = left end
    elseif redis.call('ZCARD', leases) >= tonumber(ARGV[5]) then
      if wait < 0 then wait = 0 end
    elseif best == nil or tonumber(top[2]) < best_score then
      best, best_score = host, tonumber(top[2])
    end
  end
end
if best == nil then return wait end
local queue = ARGV[1] .. best
local request = redis.call('ZRANGE', queue, 0, 0)[1]
redis.call('ZREM', queue, request)
if redis.call('ZCARD', queue) == 0 then redis.call('SREM', KEYS[1], best) end
local field = best .. ' ' .. redis.sha1hex(request)
local lease = ARGV[3] .. ' ' .. field
redis.call('HSET', KEYS[2], field, request)
redis.call('ZADD', ARGV[2] .. best .. ':leases', now + tonumber(ARGV[6]), lease)
if redis.call('PTTL', ARGV[2] .. best .. ':leases') < tonumber(ARGV[6]) then
  redis.call('PEXPIRE', ARGV[2] .. best .. ':leases', ARGV[6])
end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', ARGV[2] .. best .. ':turn', lease, 'PX', ARGV[4])
end
return {request, best, field}
"""

# KEYS: in-flight hash, liveness key, hosts set, workers set; ARGV: worker id, '1' to force,
# queue key prefix, host key prefix.  Unless forced, does nothing (-1) while the worker is
# alive; else queues every in-flight request again with its priority (score -priority, as
# PriorityQueue.push), deletes the hash and unlists the worker.  Forced (the worker putting
# its own back), it also drops their leases; a dead worker's leases lapse at their own time,
# since a worker taken for dead may only be slow (a lease taken after its last heartbeat
# outlives its liveness key) and still be fetching.  Returns how many requests were queued
# again.
_REQUEUE_SCRIPT = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[1])
local queued = 0
for i = 1, #entries, 2 do
  local host = string.match(entries[i], '^(.*) %x+$') or ''
  local ok, request = pcall(cjson.decode, entries[i + 1])
  local priority = 0
  if ok and type(request) == 'table' and type(request['priority']) == 'number' then
    priority = request['priority']
  end
  redis.call('ZADD', ARGV[3] .. host, -priority, entries[i + 1])
  redis.call('SADD', KEYS[3], host)
  if ARGV[2] == '1' then
    redis.call('ZREM', ARGV[4] .. host .. ':leases', ARGV[1] .. ' ' .. entries[i])
  end
  queued = queued + 1
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return queued
"""

# KEYS: hosts set; ARGV: queue key prefix.  How many requests are queued.
_LENGTH_SCRIPT = """
local total = 0
for _, host in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  total = total + redis.call('ZCARD', ARGV[1] .. host)
end
return total
"""


@dataclass(frozen=True)
class Popped:
    """A request taken from the queue: its encoding, host and in-flight field."""

    raw: bytes
    host: str
    field: str


class SiteQueue:
    """The queued requests of one site (see the module doc)."""

    def __init__(self, server: redis.Redis, site: str):
        self.server = server
        self.keys = SiteKeys(site)
        self._enqueue = server.register_script(_ENQUEUE_SCRIPT)
        self._pop = server.register_script(_POP_SCRIPT)
        self._requeue = server.register_script(_REQUEUE_SCRIPT)
        self._length = server.register_script(_LENGTH_SCRIPT)

    def push(self, url: str, raw: str | bytes, priority: int, fingerprint: str = "") -> bool:
        """Queue an encoded request unless its fingerprint (``''``: never filtered) was seen;
        whether it was queued."""
        return self._enqueue(
            keys=[self.keys.seen, self.keys.hosts],
            args=[fingerprint, -priority, raw, host_of(url), self.keys.queue_prefix],
        ) == 1

    def pop(self, worker: str, inflight_key: str, rules: HostRules) -> Popped | float | None:
        """The best request whose host's turn has come, recorded in flight with a lease; else
        the seconds until a turn ends (0.0 when only leases are in the way), or None when
        nothing is queued."""
        result = self._pop(
            keys=[self.keys.hosts, inflight_key],
            args=[self.keys.queue_prefix, HOST_PREFIX, worker, rules.delay_ms(),
                  rules.concurrency, rules.lease_ttl_ms],
        )
        if isinstance(result, list):
            raw, host, field = result
            return Popped(raw, host.decode(), field.decode())
        return None if result < 0 else result / 1000

    def requeue(self, worker: str, *, force: bool) -> int:
        """Queue again what ``worker`` has in flight (unless it is alive and not ``force``):
        how many; -1 when it is alive."""
        return int(self._requeue(
            keys=[self.keys.inflight(worker), self.keys.alive(worker), self.keys.hosts,
                  self.keys.workers],
            args=[worker, "1" if force else "0", self.keys.queue_prefix, HOST_PREFIX],
        ))

    def __len__(self) -> int:
        return int(self._length(keys=[self.keys.hosts], args=[self.keys.queue_prefix]))

    def queue_keys(self) -> list[str]:
        """The per-host queue keys that exist."""
        return [key.decode() for key in self.server.scan_iter(match=f"{self.keys.queue_prefix}*")]
