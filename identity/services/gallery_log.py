"""The gallery's shared change log, in Redis: what changed since each generation's base file
was built, so that every process brings its gallery up to date in memory instead of
rebuilding it (identity.services.gallery).

Two keys. ``gallery:head`` holds "<generation>:<sequence>": one GET tells a process whether
anything changed (each search's only round trip when nothing did). ``gallery:log`` is the
generation's list of changes, entry n (1-based) being "<generation>|<n>|<json>", so that a
process that finds an entry missing or out of place knows the log was lost (Redis restarted
or flushed) and starts a new generation, rebuilt from the database. Each change names what
changed by id only (samples added, samples removed, people removed or deactivated, or that the
rejected faces changed): the rows are read from the database. The keys are outside ``faceapp*``, which erasure scans for names.

Changes are pushed after their transaction commits (``transaction.on_commit``), so a change
in the log is visible in the database to whoever reads it. Scripts run in Redis, atomically.
"""

import json
import uuid
from dataclasses import dataclass

from faceapp.redis_client import redis_client, redis_text

HEAD_KEY, LOG_KEY = "gallery:head", "gallery:log"
REBUILD_KEY = "gallery:rebuilding"  # one machine at a time builds a new base for an outgrown delta
REBUILD_SECONDS = 300  # the claim lapses if its builder dies

# Append one change; nothing when there is no head (lost: the next reader starts a generation).
_PUSH = """
local head = redis.call('GET', KEYS[1])
if not head then return false end
local colon = string.find(head, ':', 1, true)
local generation, seq = string.sub(head, 1, colon - 1), tonumber(string.sub(head, colon + 1)) + 1
redis.call('RPUSH', KEYS[2], generation .. '|' .. seq .. '|' .. ARGV[1])
redis.call('SET', KEYS[1], generation .. ':' .. seq)
return seq
"""
# A new generation ARGV[1]. ARGV[2]: the generation it replaces ('*': any; '': only when there is
# none); ARGV[3]: the sequence after which the old log's entries carry over ('': none carry).
_NEW = """
local head = redis.call('GET', KEYS[1])
local expected = ARGV[2]
if expected == '' and head then return head end
if expected ~= '*' and expected ~= '' and (not head or string.sub(head, 1, #expected + 1) ~= expected .. ':') then
  return head or false
end
local carried = {}
if ARGV[3] ~= '' then carried = redis.call('LRANGE', KEYS[2], tonumber(ARGV[3]), -1) end
redis.call('DEL', KEYS[2])
for n, entry in ipairs(carried) do
  local bar = string.find(entry, '|', string.find(entry, '|', 1, true) + 1, true)
  redis.call('RPUSH', KEYS[2], ARGV[1] .. '|' .. n .. '|' .. string.sub(entry, bar + 1))
end
local new = ARGV[1] .. ':' .. #carried
redis.call('SET', KEYS[1], new)
return new
"""


@dataclass(frozen=True)
class Change:
    """One committed change to the gallery, by id."""

    added: tuple[int, ...] = ()  # samples accepted
    removed: tuple[int, ...] = ()  # samples deleted
    people: tuple[int, ...] = ()  # people deleted or deactivated
    rejections: bool = False  # the faces reviewers rejected as someone changed: read them all again

    def as_json(self) -> str:
        return json.dumps({"a": list(self.added), "r": list(self.removed), "p": list(self.people),
                           "j": self.rejections})

    @classmethod
    def from_json(cls, text: str) -> "Change":
        data = json.loads(text)
        return cls(tuple(data.get("a", ())), tuple(data.get("r", ())), tuple(data.get("p", ())), bool(data.get("j")))


def version_split(version: str) -> tuple[str, int]:
    generation, _, seq = version.partition(":")
    return generation, int(seq or 0)


def _script(source: str):
    return redis_client().register_script(source)


def head_read() -> str:
    """The shared "<generation>:<sequence>"; a new generation when Redis has none (restarted)."""
    head = redis_client().get(HEAD_KEY)
    if head is None:
        # First process after a Redis restart: all agree on whichever generation landed first.
        head = _script(_NEW)(keys=[HEAD_KEY, LOG_KEY], args=[uuid.uuid4().hex, "", ""])
    return redis_text(head)


def change_push(change: Change) -> None:
    """Append `change` to the log (call once its transaction has committed)."""
    _script(_PUSH)(keys=[HEAD_KEY, LOG_KEY], args=[change.as_json()])


def changes_read(*, generation: str, after: int, upto: int) -> list[Change] | None:
    """The generation's changes after+1 .. upto, or None when the log no longer holds them all."""
    if upto <= after:
        return []
    changes = []
    entries = redis_client().lrange(LOG_KEY, after, upto - 1)
    for expected, entry in enumerate(entries, after + 1):
        entry_generation, seq, payload = entry.decode().split("|", 2)
        if (entry_generation, int(seq)) != (generation, expected):
            return None
        changes.append(Change.from_json(payload))
    return changes if len(changes) == upto - after else None


def generation_new(*, replacing: str = "*", carry_after: int | None = None) -> str:
    """Start a new generation (its base built from the database by the first process to need
    it) and return the new head; `replacing`: only if the generation is still this one (else
    the head as it is); `carry_after`: the replaced log's entries after this sequence go on
    into the new one (changes that a base built from then on may lack)."""
    head = _script(_NEW)(keys=[HEAD_KEY, LOG_KEY],
                         args=[uuid.uuid4().hex, replacing, "" if carry_after is None else str(carry_after)])
    return head_read() if head is None else redis_text(head)


def generation_swap(*, replacing: str, carry_after: int, new: str) -> bool:
    """Make `new` (whose base file is built already) the generation, if `replacing` still is."""
    head = _script(_NEW)(keys=[HEAD_KEY, LOG_KEY], args=[new, replacing, str(carry_after)])
    return head is not None and version_split(redis_text(head))[0] == new


def rebuild_claim(*, generation: str) -> bool:
    """Whether this process may build the next base after `generation` (one at a time, all machines)."""
    return bool(redis_client().set(REBUILD_KEY, generation, nx=True, ex=REBUILD_SECONDS))


def rebuild_release() -> None:
    redis_client().delete(REBUILD_KEY)
