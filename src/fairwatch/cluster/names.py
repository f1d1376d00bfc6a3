"""The names every process of a cluster agrees on: streams, subjects, buckets, headers and tables.

One place, so an edge and a worker cannot drift apart. A partition is a site: rule state spans the devices of one
site, so all events of a site go to one owner. Partition names are NATS subject tokens.
"""

from __future__ import annotations

import hashlib
import re

from fairwatch.model import Event

EVENTS_STREAM = "FW_EVENTS"  # validated, guarded events; subjects fw.ev.<partition>
EVENTS_PREFIX = "fw.ev"
CHANGES_STREAM = "FW_CHANGES"  # committed changes (what SSE sends); subjects fw.ch.<partition>
CHANGES_PREFIX = "fw.ch"
COMMANDS_PREFIX = "fw.cmd"  # request-reply operator commands to a partition's owner: fw.cmd.<partition>
LEASES_BUCKET = "fw_leases"  # key-value: partition -> owner; the revision at acquisition is the owner's epoch
PARTITIONS_BUCKET = "fw_partitions"  # key-value: every partition seen by an edge (workers watch it)
GLOBAL = "_global"  # the partition of actions that belong to no site: users, tokens, silences, phases
CHECKPOINTER = "_checkpoint"  # the lease of the process that signs the Merkle root over the chain heads
DEFAULT = "default"  # the partition of events that name no site
MSG_ID = "Nats-Msg-Id"  # JetStream's duplicate window drops a second publish with the same id

FENCE_TABLE = (
    "cluster_fence"  # partition, epoch, owner, since: every owner transaction checks its epoch first
)
OFFSET_TABLE = (
    "cluster_offsets"  # partition, seq: the last stream sequence committed, in the same transaction
)

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def partition_of(site: str | None) -> str:
    """The partition of a site: its id when that is a safe subject token, else a stable digest of it."""
    if site is None or site == "":
        return DEFAULT
    if _TOKEN.fullmatch(site) and not site.startswith("_"):
        return site
    return "s" + hashlib.sha256(site.encode()).hexdigest()[:24]


def event_subject(event: Event) -> str:
    return f"{EVENTS_PREFIX}.{partition_of(event.site)}"


def change_subject(partition: str) -> str:
    return f"{CHANGES_PREFIX}.{partition}"


def command_subject(partition: str) -> str:
    return f"{COMMANDS_PREFIX}.{partition}"


def msg_id(event: Event) -> str:
    """`<source>:<id>`: the key ingest already deduplicates on, so a retried publish is stored once."""
    return f"{event.source}:{event.id}"
