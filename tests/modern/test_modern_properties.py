"""Property-based schedules of KIP-848 consumers against the ConsumerGroupManager.

A schedule starts model consumers (dynamic or static, subscribed by names or by a regex, choosing
the sticky "uniform" or the moving "range" stand-in assignor), then runs random actions on a virtual
clock: heartbeats (acknowledging, omitting TopicPartitions, or full), joins, leaves (-1, and -2 for
static members), crashes (a member stops for good), pauses (it stops, then resumes), restarts of
static members under a new member id, subscription changes, topics created, grown or deleted, and
time passing (which fires session, rebalance and regex timers).

The model consumer behaves like the Java ``AsyncKafkaConsumer`` (docs/consumer-protocol.md §8): it sends
its epoch and what it owns, takes new partitions at once and gives up revoked ones either at once
or -- a "slow" consumer, whose onPartitionsRevoked takes a while -- only when it next acknowledges
(meanwhile it reports them as still owned, or omits TopicPartitions); it rejoins with epoch 0 and
the same member id after FENCED_MEMBER_EPOCH / UNKNOWN_MEMBER_ID, and stops on
UNRELEASED_INSTANCE_ID.

After **every** call these must hold:

* no partition is owned by two members (assigned or pending revocation), and the group's
  partition-epoch map is exactly the members' ownership (the protocol's promise);
* a response's Assignment never holds a partition another member still owns;
* what a live consumer believes it owns is part of what the coordinator has it own, so no two
  live consumers own the same partition (a zombie -- crashed, or paused past its fencing -- is
  the classic exception and is excluded);
* epochs never decrease: the group epoch moves by +1, the target epoch never goes back, a member's
  epoch never goes back (except the -2 of a static member's temporary leave, and a new incarnation
  after its removal);
* every state change is in ``TRANSITIONS`` (the manager checks) and they chain;
* every member has a session timer, every member revoking at epoch e has a rebalance timer for e.

At the end, every paused consumer resumes and every live consumer keeps heartbeating: the group
must reach Stable with exactly the live consumers, each owning its target; and folding the trace
rebuilds the group.

Runs: 500 + 150 generated schedules (``max_examples``); the CI profile (tests/conftest.py)
derandomizes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kafkalab.errors import ErrorCode
from kafkalab.messages import ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatTopicPartitions
from kafkalab.modern import events as ev
from kafkalab.modern.group import fold
from kafkalab.modern.state import MemberState
from kafkalab.modern.timers import rebalance_timeout_key, session_timeout_key
from modern_helpers import Harness

E = ErrorCode

TOPIC_SETS = [("a",), ("b",), ("a", "b"), ("a", "c"), ("c", "d"), ("a", "b", "c", "d"), ()]
REGEXES = ["[ab]", "c|d", ".*", "a"]
DURATIONS = [0, 500, 2_000, 5_000, 12_000, 30_000, 50_000]
REBALANCE_TIMEOUT = 20_000
GROUP = "g"
EXPECTED_CODES = {E.NONE, E.FENCED_MEMBER_EPOCH, E.UNKNOWN_MEMBER_ID, E.UNRELEASED_INSTANCE_ID}
#: With rogues around, a rogue may take over a static consumer's instance id.
ROGUE_CODES = EXPECTED_CODES | {E.FENCED_INSTANCE_ID}


@dataclass
class Client:
    """A model KIP-848 consumer (docs/consumer-protocol.md §8)."""

    name: str
    member_id: str
    instance_id: Optional[str]
    topics: Optional[tuple[str, ...]]
    regex: Optional[str]
    assignor: Optional[str]
    slow: bool = False  # revokes only when it acknowledges (Java runs onPartitionsRevoked first)
    epoch: int = 0
    owned: dict = field(default_factory=dict)
    assignment: Optional[dict] = None  # the last Assignment received
    status: str = "running"  # running | paused | crashed | left | fatal | replaced
    resume_at: int = 0
    pending_subscription: bool = False

    @property
    def live(self) -> bool:
        return self.status in ("running", "paused")


class World:
    def __init__(self, assignors: Optional[tuple] = None) -> None:
        self.h = Harness({"a": 3, "b": 2, "c": 4}, rebalance_timeout_ms=REBALANCE_TIMEOUT, assignors=assignors)
        self.clients: list[Client] = []
        self.ids = 0
        self.group_epoch = 0
        self.assignment_epoch = 0
        self.member_epochs: dict[str, int] = {}
        self.last_state: Optional[Any] = None
        self.seen_events = 0
        #: False while rogues may impersonate consumers: their beliefs are then not checked.
        self.trust_clients = True

    # ------------------------------------------------------------------ requests

    def new_client(self, topics_i: int, static: bool, regex_i: Optional[int], assignor: Optional[str],
                   slow: bool = False) -> Client:
        self.ids += 1
        name = f"c{self.ids}"
        topics = None if regex_i is not None else TOPIC_SETS[topics_i]
        regex = REGEXES[regex_i] if regex_i is not None else None
        client = Client(name, f"{name}-id", f"i{self.ids}" if static else None, topics, regex, assignor, slow)
        self.clients.append(client)
        return client

    def send(self, c: Client, mode: str = "ack") -> None:
        """One heartbeat (or join) as the consumer would send it."""
        if c.status != "running":
            return
        if c.epoch == 0:
            req = ConsumerGroupHeartbeatRequest(
                group_id=GROUP, member_id=c.member_id, member_epoch=0, instance_id=c.instance_id,
                rebalance_timeout_ms=REBALANCE_TIMEOUT, subscribed_topic_names=c.topics,
                subscribed_topic_regex=c.regex if c.regex is not None else None, server_assignor=c.assignor,
                topic_partitions=())
        else:
            if mode == "ack" and c.assignment is not None:
                c.owned = dict(c.assignment)  # revocation finished: acknowledge
            owned = tuple(ConsumerGroupHeartbeatTopicPartitions(t, tuple(sorted(ps))) for t, ps in sorted(c.owned.items()))
            full = mode == "full"
            changed = c.pending_subscription
            req = ConsumerGroupHeartbeatRequest(
                group_id=GROUP, member_id=c.member_id, member_epoch=c.epoch, instance_id=c.instance_id,
                rebalance_timeout_ms=REBALANCE_TIMEOUT if full else -1,
                subscribed_topic_names=c.topics if (full or changed) and c.topics is not None else None,
                subscribed_topic_regex=c.regex if (full or changed) and c.regex is not None else None,
                topic_partitions=None if mode == "omit" else owned)  # "slow": still reports what it revokes
            c.pending_subscription = False
        resp = self.h.mgr.consumer_group_heartbeat(req, self.h.now)
        self.check_response(c, resp)
        if resp.error_code is E.NONE:
            c.epoch = resp.member_epoch
            if resp.assignment is not None:
                c.assignment = resp.assignment.as_dict()
                if c.slow:  # takes what came, keeps what left until it acknowledges
                    c.owned = {t: c.owned.get(t, frozenset()) | c.assignment.get(t, frozenset())
                               for t in set(c.owned) | set(c.assignment)}
                else:  # revokes what left and takes what came at once
                    c.owned = dict(c.assignment)
        elif resp.error_code in (E.FENCED_MEMBER_EPOCH, E.UNKNOWN_MEMBER_ID):
            c.owned, c.epoch, c.assignment = {}, 0, None  # transitionToFenced: lose all, rejoin with the same id
        elif resp.error_code in (E.UNRELEASED_INSTANCE_ID, E.FENCED_INSTANCE_ID):
            c.status, c.owned = "fatal", {}  # fatal in the Java client and librdkafka

    def leave(self, c: Client) -> None:
        if c.status not in ("running", "paused") or c.epoch == 0:
            return
        epoch = -2 if c.instance_id is not None else -1
        resp = self.h.mgr.consumer_group_heartbeat(ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=c.member_id, member_epoch=epoch, instance_id=c.instance_id), self.h.now)
        assert resp.error_code in (E.NONE, E.UNKNOWN_MEMBER_ID, E.GROUP_ID_NOT_FOUND), resp
        c.status, c.owned, c.assignment = "left", {}, None

    def restart(self, c: Client) -> None:
        """A static consumer's process restarts: a new member id, the same instance id."""
        if c.instance_id is None or c.status not in ("left", "crashed", "fatal"):
            return
        c.status = "replaced"
        self.ids += 1
        fresh = Client(f"c{self.ids}", f"c{self.ids}-id", c.instance_id, c.topics, c.regex, c.assignor, c.slow)
        self.clients.append(fresh)
        self.send(fresh)

    def tick(self, ms: int) -> None:
        """Let ``ms`` pass: timers fire at their deadlines, paused consumers resume at theirs."""
        target = self.h.now + ms
        while True:
            due = [target] + [c.resume_at for c in self.clients if c.status == "paused"]
            deadline = self.h.timers.next_deadline()
            if deadline is not None:
                due.append(deadline)
            step = max(self.h.now, min(due))
            self.h.advance_to(step)
            self.check()
            for c in self.clients:
                if c.status == "paused" and c.resume_at <= self.h.now:
                    c.status = "running"
                    self.send(c)
            deadline = self.h.timers.next_deadline()
            if self.h.now >= target and (deadline is None or deadline > target):
                return

    def metadata(self, op: int, topic: str) -> None:
        image = self.h.mgr.metadata
        t = image.topic(topic)
        if op == 0 and t is None:
            image = image.with_topic(topic, 2)
        elif op == 1 and t is not None:
            image = image.with_topic(topic, t.num_partitions + 1)
        elif op == 2 and t is not None:
            image = image.without_topic(topic)
        else:
            return
        self.h.mgr.on_metadata_update(image, self.h.now)

    # ------------------------------------------------------------------ checks

    def group(self):
        return self.h.mgr.groups.get(GROUP)

    def check_response(self, c: Client, resp) -> None:
        assert resp.error_code in (EXPECTED_CODES if self.trust_clients else ROGUE_CODES), (c, resp)
        g = self.group()
        if resp.error_code is E.NONE and resp.member_epoch >= 0 and resp.assignment is not None:
            owners = g.owners()
            for t, ps in resp.assignment.as_dict().items():
                for p in ps:
                    assert owners.get((t, p)) == resp.member_id, f"{c.name} got {t}-{p} owned by {owners.get((t, p))}"
        self.check()

    def check(self) -> None:
        g = self.group()
        # One owner per partition; the partition epochs are exactly the ownership.
        if g is not None:
            seen: dict = {}
            for m in g.members.values():
                for tp in m.owned():
                    assert tp not in seen, f"{tp} owned by {seen[tp]} and {m.member_id}"
                    seen[tp] = m.member_id
            assert {tp: g.members[mid].member_epoch for tp, mid in seen.items()} == g.partition_epochs()
            # Timers: a session timer per member; a rebalance timer for each revoking member's epoch.
            for m in g.members.values():
                assert session_timeout_key(GROUP, m.member_id) in self.h.timers, m
                if m.state is MemberState.UNREVOKED_PARTITIONS and m.member_epoch >= 0:
                    timer = self.h.timers.get(rebalance_timeout_key(GROUP, m.member_id))
                    assert timer is not None and timer.payload == m.member_epoch, m
        # Live consumers own only what the coordinator has them own; hence never the same partition.
        believed: dict = {}
        for c in self.clients if self.trust_clients else ():
            member = g.members.get(c.member_id) if g is not None else None
            if not c.live or member is None or c.epoch == 0:
                continue
            server = member.owned()
            for t, ps in c.owned.items():
                for p in ps:
                    assert (t, p) in server, f"{c.name} believes it owns {t}-{p}; the coordinator disagrees"
                    assert (t, p) not in believed, f"{t}-{p} owned by {believed[(t, p)]} and {c.name}"
                    believed[(t, p)] = c.name
        # Epochs never decrease; state changes chain.
        for e in self.h.trace[self.seen_events:]:
            if isinstance(e, ev.GroupEpochBumped):
                assert e.old_epoch == self.group_epoch and e.new_epoch == e.old_epoch + 1, e
                self.group_epoch = e.new_epoch
            elif isinstance(e, ev.TargetAssignmentComputed):
                assert e.epoch >= self.assignment_epoch, e
                self.assignment_epoch = e.epoch
            elif isinstance(e, ev.MemberRemoved):
                self.member_epochs.pop(e.member_id, None)
            elif isinstance(e, ev.MemberAssignmentUpdated) and e.member_epoch != -2:
                last = self.member_epochs.get(e.member_id)
                assert last is None or e.member_epoch >= last, (e, last)
                self.member_epochs[e.member_id] = e.member_epoch
            elif isinstance(e, ev.ConsumerGroupStateChanged):
                assert e.old == self.last_state, (e, self.last_state)
                self.last_state = e.new
        self.seen_events = len(self.h.trace)

    # ------------------------------------------------------------------ convergence

    def converge(self) -> None:
        for c in self.clients:
            if c.status == "paused":
                c.status = "running"
        for _ in range(40):
            for c in list(self.clients):
                self.send(c)
            if self.converged():
                break
            self.tick(5_000)
        assert self.converged(), self.explain()
        self.report()
        rebuilt = fold(self.h.trace)
        assert {gid: g.snapshot() for gid, g in rebuilt.items()} == {
            gid: g.snapshot() for gid, g in self.h.mgr.groups.items()}

    def report(self) -> None:
        """Hypothesis statistics: which protocol paths this schedule went through."""
        for e in self.h.trace:
            if isinstance(e, ev.MemberRemoved):
                event(f"removed: {e.reason.name}")
            elif isinstance(e, ev.MemberAssignmentUpdated) and e.state is not MemberState.STABLE:
                event(f"member state {e.state.name}")
            elif isinstance(e, ev.RegularExpressionResolved):
                event("regex resolved")
            elif isinstance(e, ev.ConsumerGroupStateChanged):
                event(f"state {e.new.value}")
        for c in self.clients:
            event(f"consumer ended {c.status}")

    def converged(self) -> bool:
        g = self.group()
        running = {c.member_id: c for c in self.clients if c.status == "running"}
        if g is None:
            return not running
        if set(g.members) != set(running):
            return False
        if running and g.state.value != "Stable":
            return False
        if self.h.timers.get(("consumer-regex-refresh", GROUP)) is not None:
            return False
        return all(c.owned == dict(g.target_assignment.get(mid, {})) and c.epoch == g.assignment_epoch
                   and g.members[mid].is_reconciled_to(g.assignment_epoch) for mid, c in running.items())

    def explain(self) -> str:
        g = self.group()
        return f"not converged at {self.h.now}: {self.h.mgr.describe(GROUP)} clients={self.clients}" if g else "no group"


# ---------------------------------------------------------------------------- schedules

client_spec = st.tuples(st.integers(0, len(TOPIC_SETS) - 1), st.booleans(),
                        st.one_of(st.none(), st.integers(0, len(REGEXES) - 1)),
                        st.sampled_from([None, None, "uniform", "range"]), st.booleans())
action = st.one_of(
    st.tuples(st.just("start"), client_spec),
    st.tuples(st.just("hb"), st.integers(0, 7), st.sampled_from(["ack", "ack", "ack", "omit", "slow", "full"])),
    st.tuples(st.just("hb-all"), st.sampled_from(["ack", "omit", "slow"])),
    st.tuples(st.just("tick"), st.sampled_from(DURATIONS)),
    st.tuples(st.just("crash"), st.integers(0, 7)),
    st.tuples(st.just("pause"), st.integers(0, 7), st.sampled_from([3_000, 25_000, 60_000])),
    st.tuples(st.just("leave"), st.integers(0, 7)),
    st.tuples(st.just("restart"), st.integers(0, 7)),
    st.tuples(st.just("leave-and-restart"), st.integers(0, 7)),
    st.tuples(st.just("subscribe"), st.integers(0, 7), st.integers(0, len(TOPIC_SETS) - 1)),
    st.tuples(st.just("metadata"), st.integers(0, 2), st.sampled_from(["a", "b", "c", "d"])),
)


def run(world: World, actions: list) -> None:
    for act in actions:
        kind = act[0]
        pick = (lambda i: world.clients[i % len(world.clients)]) if world.clients else None
        if kind == "start":
            world.send(world.new_client(*act[1]))
        elif pick is None:
            continue
        elif kind == "hb":
            world.send(pick(act[1]), act[2])
        elif kind == "hb-all":
            for c in list(world.clients):
                world.send(c, act[1])
        elif kind == "crash":
            c = pick(act[1])
            if c.live:
                c.status = "crashed"
        elif kind == "pause":
            c = pick(act[1])
            if c.status == "running":
                c.status, c.resume_at = "paused", world.h.now + act[2]
        elif kind == "leave":
            world.leave(pick(act[1]))
        elif kind == "restart":
            world.restart(pick(act[1]))
        elif kind == "leave-and-restart":  # a static consumer's rolling restart
            c = pick(act[1])
            world.leave(c)
            world.restart(c)
        elif kind == "subscribe":
            c = pick(act[1])
            if c.regex is None:
                c.topics, c.pending_subscription = TOPIC_SETS[act[2]], True
        elif kind == "metadata":
            world.metadata(act[1], act[2])
        if kind == "tick":
            world.tick(act[1])
        world.check()


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(client_spec, min_size=1, max_size=5), st.lists(action, max_size=40))
def test_random_schedules_keep_the_protocols_promises(starts, actions):
    """docs/consumer-protocol.md §3.3, §4: safety after every step, convergence at the end."""
    world = World()
    for spec in starts:
        world.send(world.new_client(*spec))
    run(world, actions)
    world.converge()


# ---------------------------------------------------------------------------- rogue requests

rogue = st.builds(
    dict,
    member=st.sampled_from(["c1-id", "c2-id", "c3-id", "zz", ""]),
    epoch=st.sampled_from([-3, -2, -1, 0, 1, 2, 3, 5, 99]),
    instance=st.sampled_from([None, None, "i1", "i2", "iz", ""]),
    rebalance=st.sampled_from([-1, 0, 1_000]),
    names=st.sampled_from([None, (), ("a",), ("a", "zz")]),
    regex=st.sampled_from([None, "", "a|b", "["]),
    assignor=st.sampled_from([None, "range", "nope"]),
    owned=st.sampled_from([None, (), ((0, (0, 1)),), ((1, (0, 7)),), ((2, (1,)),)]),
    version=st.sampled_from([0, 1]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(client_spec, min_size=1, max_size=3), st.lists(st.one_of(action, st.tuples(st.just("rogue"), rogue)),
                                                               max_size=40))
def test_nothing_a_caller_sends_corrupts_a_group(starts, actions):
    """Bad input: arbitrary heartbeats (made-up ids and instance ids, stale or future epochs, invalid
    fields, foreign partitions) get protocol answers, never exceptions, and never break the group's
    invariants; the well-behaved consumers still converge."""
    world = World()
    world.trust_clients = False
    for spec in starts:
        world.send(world.new_client(*spec))
    topic_ids = [world.h.mgr.metadata.topic(t).topic_id for t in ("a", "b", "c")]
    plain = []
    for act in actions:
        if act[0] != "rogue":
            plain.append(act)
            continue
        run(world, plain)
        plain = []
        r = act[1]
        owned = None if r["owned"] is None else tuple(
            ConsumerGroupHeartbeatTopicPartitions(topic_ids[i], ps) for i, ps in r["owned"])
        req = ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=r["member"], member_epoch=r["epoch"], instance_id=r["instance"],
            rebalance_timeout_ms=r["rebalance"], subscribed_topic_names=r["names"],
            subscribed_topic_regex=r["regex"] if r["version"] >= 1 else None, server_assignor=r["assignor"],
            topic_partitions=owned, api_version=r["version"])
        resp = world.h.mgr.consumer_group_heartbeat(req, world.h.now)
        assert isinstance(resp.error_code, ErrorCode)
        world.check()
    run(world, plain)
    # A rogue may have spoken for a consumer (its member id): each consumer starts over, as after
    # a fencing, and from then on must be trusted again.
    for c in world.clients:
        if c.live:
            c.epoch, c.owned = 0, {}
    world.trust_clients = True
    world.converge()
