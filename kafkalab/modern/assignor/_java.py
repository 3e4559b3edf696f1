"""The iteration order of ``new HashSet<>(collection)`` in Java, for topic ids and partitions.

Two steps of Kafka's ``UniformHomogeneousAssignmentBuilder`` depend on it: the order of the
subscribed topics (``new HashSet<>(firstMember.subscribedTopicIds())``) and, for a member that
holds more partitions of a topic than its quota, which of them it keeps (the first ones its
``Set<Integer>`` yields; Kafka's coordinator loads that set as ``new HashSet<>(partitionList)``).

How OpenJDK's ``HashMap`` (17) orders the keys of ``new HashSet<>(c)``:

* capacity ``tableSizeFor(max((int) (c.size() / .75f) + 1, 16))`` (a power of two), so the table
  never grows because of its size while ``c`` is added;
* a key with ``hashCode()`` h goes to bucket ``spread(h) & (capacity - 1)`` where
  ``spread(h) = h ^ (h >>> 16)``; iteration visits buckets in ascending order;
* a bucket is a linked list in insertion order; when an insertion leaves 9 or more keys in it
  (``TREEIFY_THRESHOLD`` 8), ``treeifyBin`` doubles the table instead if it has fewer than 64
  buckets (``MIN_TREEIFY_CAPACITY``), else turns the bucket into a red-black tree ordered by
  (spread hash, ``compareTo``).  A tree bucket still iterates its ``next`` chain, but each new key
  is linked right after its tree parent, and the tree's root is moved to the front of the chain
  after every insertion (``moveRootToFront``), so the order needs the tree itself: this module
  replays ``treeify``, ``putTreeVal`` and ``balanceInsertion`` exactly.

``Integer.hashCode()`` is the value; ``Uuid.hashCode()`` is :meth:`Uuid.java_hash_code`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from kafkalab.modern.assignor.api import Uuid

K = TypeVar("K", bound=Hashable)

_TREEIFY_THRESHOLD = 8
_MIN_TREEIFY_CAPACITY = 64


def table_size_for(cap: int) -> int:
    """``HashMap.tableSizeFor``: the smallest power of two >= ``cap`` (at least 1)."""
    return 1 << (cap - 1).bit_length() if cap > 1 else 1


def collection_capacity(size: int) -> int:
    """The table size of ``new HashSet<>(c)`` for a collection of ``size`` elements."""
    return table_size_for(max(size * 4 // 3 + 1, 16))  # (int) (size / .75f) + 1


def spread(h: int) -> int:
    """``HashMap.hash``: ``h ^ (h >>> 16)`` on the signed 32-bit ``h``, as a signed int."""
    u = h & 0xFFFFFFFF
    u ^= u >> 16
    return u - (1 << 32) if u >= 1 << 31 else u


class _Node:
    __slots__ = ("key", "hash", "order", "parent", "left", "right", "red")

    def __init__(self, key: Any, h: int, order: Any) -> None:
        self.key = key
        self.hash = h
        self.order = order
        self.parent = self.left = self.right = None
        self.red = False


def _goes_left(x: _Node, p: _Node) -> bool:
    # treeify / putTreeVal: dir = -1 when p.hash > h, +1 when p.hash < h, else compareTo.
    # Distinct keys never compare equal here (Integer: spread is a bijection; Uuid: compareTo).
    if p.hash != x.hash:
        return p.hash > x.hash
    return x.order < p.order


def _rotate_left(root: _Node, p: _Node) -> _Node:
    r = p.right
    if r is not None:
        rl = p.right = r.left
        if rl is not None:
            rl.parent = p
        pp = r.parent = p.parent
        if pp is None:
            root = r
            r.red = False
        elif pp.left is p:
            pp.left = r
        else:
            pp.right = r
        r.left = p
        p.parent = r
    return root


def _rotate_right(root: _Node, p: _Node) -> _Node:
    left = p.left
    if left is not None:
        lr = p.left = left.right
        if lr is not None:
            lr.parent = p
        pp = left.parent = p.parent
        if pp is None:
            root = left
            left.red = False
        elif pp.right is p:
            pp.right = left
        else:
            pp.left = left
        left.right = p
        p.parent = left
    return root


def _balance_insertion(root: _Node, x: _Node) -> _Node:
    # HashMap.TreeNode.balanceInsertion (CLR red-black insertion fix-up).
    x.red = True
    while True:
        xp = x.parent
        if xp is None:
            x.red = False
            return x
        xpp = xp.parent
        if not xp.red or xpp is None:
            return root
        xppl = xpp.left
        if xp is xppl:
            xppr = xpp.right
            if xppr is not None and xppr.red:
                xppr.red = False
                xp.red = False
                xpp.red = True
                x = xpp
            else:
                if x is xp.right:
                    x = xp
                    root = _rotate_left(root, x)
                    xp = x.parent
                    xpp = None if xp is None else xp.parent
                if xp is not None:
                    xp.red = False
                    if xpp is not None:
                        xpp.red = True
                        root = _rotate_right(root, xpp)
        else:
            if xppl is not None and xppl.red:
                xppl.red = False
                xp.red = False
                xpp.red = True
                x = xpp
            else:
                if x is xp.left:
                    x = xp
                    root = _rotate_right(root, x)
                    xp = x.parent
                    xpp = None if xp is None else xp.parent
                if xp is not None:
                    xp.red = False
                    if xpp is not None:
                        xpp.red = True
                        root = _rotate_left(root, xpp)


class _TreeBin:
    """A treeified bucket: its red-black tree and its ``next`` chain (the iteration order)."""

    __slots__ = ("root", "chain")

    def __init__(self, chain: list[_Node]) -> None:
        # TreeNode.treeify: insert the chain's nodes in order; the chain itself is unchanged.
        root = None
        for x in chain:
            x.left = x.right = None
            if root is None:
                x.parent = None
                x.red = False
                root = x
                continue
            p = root
            while True:
                left = _goes_left(x, p)
                child = p.left if left else p.right
                if child is None:
                    x.parent = p
                    if left:
                        p.left = x
                    else:
                        p.right = x
                    root = _balance_insertion(root, x)
                    break
                p = child
        self.root = root
        self.chain = chain
        self._move_root_to_front()

    def _move_root_to_front(self) -> None:
        if self.chain[0] is not self.root:
            self.chain.remove(self.root)
            self.chain.insert(0, self.root)

    def put(self, x: _Node) -> None:
        # TreeNode.putTreeVal: link x under its parent xp, and right after xp in the chain.
        p = self.root
        while True:
            left = _goes_left(x, p)
            child = p.left if left else p.right
            if child is None:
                if left:
                    p.left = x
                else:
                    p.right = x
                x.parent = p
                self.chain.insert(self.chain.index(p) + 1, x)
                self.root = _balance_insertion(self.root, x)
                self._move_root_to_front()
                return
            p = child


def hash_set_order(
    elements: Iterable[K],
    hash_code: Callable[[K], int],
    compare_key: Callable[[K], Any],
) -> list[K]:
    """The iteration order of Java's ``new HashSet<>(c)`` where ``c`` iterates ``elements``.

    Args:
        elements: distinct keys, in the order the source collection yields them.
        hash_code: the key's Java ``hashCode()`` as a signed 32-bit int.
        compare_key: a sort key giving the keys' ``compareTo`` order.

    Returns:
        The keys in Java iteration order.
    """
    items = list(elements)
    capacity = collection_capacity(len(items))
    bins: dict[int, list[_Node] | _TreeBin] = {}
    for key in items:
        node = _Node(key, spread(hash_code(key)), compare_key(key))
        b = node.hash & (capacity - 1)
        bucket = bins.get(b)
        if bucket is None:
            bins[b] = [node]
        elif type(bucket) is _TreeBin:
            bucket.put(node)
        else:
            bucket.append(node)
            if len(bucket) > _TREEIFY_THRESHOLD:  # putVal: binCount >= TREEIFY_THRESHOLD - 1
                if capacity < _MIN_TREEIFY_CAPACITY:
                    # treeifyBin -> resize(): each bucket splits in two, keeping its order.
                    capacity *= 2
                    old, bins = bins, {}
                    for ob in sorted(old):
                        for n in old[ob]:  # no tree bins exist below 64 buckets
                            bins.setdefault(n.hash & (capacity - 1), []).append(n)
                else:
                    bins[b] = _TreeBin(bucket)
    out: list[K] = []
    for b in sorted(bins):
        bucket = bins[b]
        chain = bucket.chain if type(bucket) is _TreeBin else bucket
        out.extend(n.key for n in chain)
    return out


def _int_hash(p: int) -> int:
    return p


def _int_key(p: int) -> int:
    return p


def partition_order(partitions: Iterable[int]) -> list[int]:
    """How Java iterates a partition set built as ``new HashSet<>(ascending partitions)``.

    Args:
        partitions: distinct non-negative partition numbers, in any order.

    Returns:
        The partitions in iteration order: ascending when every partition is below the table size
        (the usual case), else by bucket.
    """
    ordered = sorted(partitions)
    if not ordered:
        return ordered
    capacity = collection_capacity(len(ordered))
    if ordered[-1] < capacity:
        return ordered
    mask = capacity - 1
    if ordered[-1] < 1 << 16:  # spread(p) == p: buckets are p & mask
        counts: dict[int, int] = {}
        for p in ordered:
            b = p & mask
            counts[b] = counts.get(b, 0) + 1
        if max(counts.values()) <= _TREEIFY_THRESHOLD:
            return sorted(ordered, key=lambda p: p & mask)  # stable: ascending within a bucket
    return hash_set_order(ordered, _int_hash, _int_key)


def topic_order(topic_ids: Sequence[Uuid]) -> list[Uuid]:
    """How Java iterates ``new HashSet<>(topicIds)`` for topic ids given in this order.

    Args:
        topic_ids: distinct topic ids in the source set's iteration order.

    Returns:
        The topic ids in Java iteration order.
    """
    mask = collection_capacity(len(topic_ids)) - 1
    buckets = [spread(t._java_hash) & mask for t in topic_ids]
    if max(Counter(buckets).values(), default=0) <= _TREEIFY_THRESHOLD:
        # No bucket ever overflows: bucket order, insertion order within a bucket (stable sort).
        return [topic_ids[i] for i in sorted(range(len(topic_ids)), key=buckets.__getitem__)]
    return hash_set_order(topic_ids, Uuid.java_hash_code, Uuid.compare_key.fget)
