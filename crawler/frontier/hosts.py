"""Per-host politeness held by all workers together in Redis, on Redis's own clock.

Per host, shared by every site and worker: a ``turn`` key that expires after the (jittered)
download delay and blocks other requests to the host meanwhile, and a ``leases`` set that caps
requests in flight at the site's ``concurrency``. Leases are refreshed with the worker's
liveness key, so a dead worker's lease lapses after the worker TTL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from crawler.frontier.store import KEY_PREFIX

HOST_PREFIX = f"{KEY_PREFIX}:host:"


def host_of(url: str) -> str:
    """``host[:port]`` of ``url``, lower case, without user info."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    return netloc.lower()


def turn_key(host: str) -> str:
    return f"{HOST_PREFIX}{host}:turn"


def leases_key(host: str) -> str:
    return f"{HOST_PREFIX}{host}:leases"


# Lua: the current time in Redis milliseconds.
REDIS_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS: the host's turn key; ARGV: owner, delay in ms.  0 when the owner may start now (the
# turn running is its own, reserved by the pop, or none is running), and its turn then runs
# the delay from now, the moment the request is sent; otherwise the milliseconds until the
# running turn ends.
_TURN_SCRIPT = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return left end
end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0
"""

# KEYS: lease sets; ARGV: TTL in ms, then one lease id per key.  Extends the leases still held.
_REFRESH_SCRIPT = REDIS_NOW + """
for i, key in ipairs(KEYS) do
  -- the lease still held (its score may be unchanged within the same millisecond)
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
    if redis.call('PTTL', key) < tonumber(ARGV[1]) then
      redis.call('PEXPIRE', key, ARGV[1])
    end
  end
end
return #KEYS
"""


@dataclass(frozen=True)
class HostRules:
    """The politeness a site asks for: seconds between requests to a host (before jitter),
    requests to a host at once, the jitter's magnitude, and a lease's TTL in seconds."""

    delay: float
    concurrency: int
    jitter: float = 0.5
    lease_ttl: float = 30.0

    def delay_ms(self) -> int:
        """One randomised delay, as Scrapy's downloader slot draws it."""
        if not self.delay:
            return 0
        factor = 1 + random.uniform(-self.jitter, self.jitter) if self.jitter else 1.0  # noqa: S311
        return max(1, round(self.delay * max(0.0, factor) * 1000))

    @property
    def lease_ttl_ms(self) -> int:
        return max(1, round(self.lease_ttl * 1000))


class SharedPoliteness:
    """A worker's side of the shared per-host turns and leases."""

    def __init__(self, server: redis.Redis, rules: HostRules):
        self.server = server
        self.rules = rules
        self._turn = server.register_script(_TURN_SCRIPT)
        self._refresh = server.register_script(_REFRESH_SCRIPT)

    def take_turn(self, host: str, owner: str) -> float:
        """0 if ``owner`` may start a request to ``host`` now (the turn is then its own), else
        the seconds to wait before asking again."""
        wait_ms = int(self._turn(keys=[turn_key(host)], args=[owner, self.rules.delay_ms()]))
        return wait_ms / 1000

    def release(self, host: str, lease: str) -> None:
        self.server.zrem(leases_key(host), lease)

    def refresh(self, leases: dict[str, str]) -> None:
        """Extends every lease held (lease id -> host) by the lease TTL."""
        if leases:
            self._refresh(keys=[leases_key(host) for host in leases.values()],
                          args=[self.rules.lease_ttl_ms, *leases])
