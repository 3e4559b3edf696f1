"""The iteration order of Java's ``HashMap`` and ``HashSet`` (OpenJDK 17), reproduced exactly.

Kafka iterates hash maps and sets where the order decides a result: the consumer group leader
puts the JoinGroup members into a ``new HashMap<>()`` and the sticky assignor visits them in that
map's order; the classic coordinator counts protocol votes in a ``HashMap`` and keeps the first
maximum; the sticky assignor moves back ``iterator().next()`` of a ``HashSet<TopicPartition>``;
the KIP-848 uniform assignor orders topics and partitions as ``new HashSet<>(collection)`` yields
them. :class:`HashSet` replays what ``java.util.HashMap`` does to its table (a ``HashSet`` is the
key set of a ``HashMap``, and a map's entries iterate in the order of its keys), so its
iteration order is Java's:

* **Buckets.** A key with ``hashCode()`` ``h`` is stored with ``spread(h) = h ^ (h >>> 16)``
  (:func:`spread`) in bucket ``spread(h) & (capacity - 1)``. Iteration visits the buckets in
  ascending order.
* **Capacity.** ``new HashMap<>()`` has 16 buckets; ``new HashMap<>(n)`` has
  ``tableSizeFor(n)`` (:func:`table_size_for`, the next power of two); ``new HashSet<>(c)`` has
  ``tableSizeFor(max((int) (c.size() / .75f) + 1, 16))`` (:func:`collection_capacity`), enough for
  ``c`` without growing. The table doubles when its size passes 0.75 x capacity (``resize``), and
  never shrinks.
* **A plain bucket** is a linked list: a new key is appended, a removed key unlinked. A resize
  splits each list in two (the keys whose hash has the new bit set move up by the old capacity)
  without reordering either half.
* **Too many in one bucket.** When a put leaves 9 keys (``TREEIFY_THRESHOLD`` + 1) in a list, a
  table of fewer than 64 buckets (``MIN_TREEIFY_CAPACITY``) doubles instead; a larger one turns
  the bucket into a red-black tree ordered by (spread hash, ``compareTo``). A tree bucket still
  iterates a linked list, but a new key is linked right after its parent in the tree, and the
  tree's root is moved to the front of the list after every insertion and removal
  (``moveRootToFront``), so the order depends on the tree's shape: :class:`HashSet` replays
  ``treeify``, ``putTreeVal``, ``removeTreeNode`` and the red-black balancing exactly. A resize
  splits a tree's list like a plain one; a half of 6 keys or fewer (``UNTREEIFY_THRESHOLD``)
  becomes a plain list, a larger half is re-treeified (unless it is the whole bucket, which keeps
  its tree). A removal turns a tree whose root lacks a grandchild on the left back into a list.

Where Java would break a tie between two different keys with the same hash and no ``compareTo``
order (``tieBreakOrder``: ``System.identityHashCode``, which differs from run to run), there is no
order to reproduce, and :class:`HashSet` raises ``ValueError``. Keys are never ``null``.

Pure and deterministic: no clock, no randomness, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from kafkalab.java.values import string_compare_key, string_hash_code_unsigned, topic_partition_hash_code

__all__ = [
    "HashSet", "TopicPartitionHashSet", "hash_map_order", "hash_set_order",
    "spread", "table_size_for", "collection_capacity",
]

K = TypeVar("K", bound=Hashable)

_DEFAULT_INITIAL_CAPACITY = 16
_MAXIMUM_CAPACITY = 1 << 30
_TREEIFY_THRESHOLD = 8  # a list reaching 9 keys is treeified ...
_MIN_TREEIFY_CAPACITY = 64  # ... unless the table is smaller: then the table doubles instead
_UNTREEIFY_THRESHOLD = 6  # a tree split into halves this small becomes lists again
_MASK32 = 0xFFFFFFFF


def table_size_for(cap: int) -> int:
    """``HashMap.tableSizeFor``: the smallest power of two >= ``cap``, between 1 and 2**30."""
    return min(1 << (cap - 1).bit_length(), _MAXIMUM_CAPACITY) if cap > 1 else 1


def collection_capacity(size: int) -> int:
    """The number of buckets of ``new HashSet<>(c)`` for a collection of ``size`` elements.

    OpenJDK 17 (and 8-18): ``new HashMap<>(Math.max((int) (size / .75f) + 1, 16))``. (Exact for
    sizes below 2**22, where ``size * 4 // 3`` equals the float division.)
    """
    return table_size_for(max(size * 4 // 3 + 1, 16))


def spread(h: int) -> int:
    """``HashMap.hash``: ``h ^ (h >>> 16)`` of a 32-bit hash code (signed or unsigned), as a signed int.

    A bijection: two keys share a spread hash exactly when they share a hash code.
    """
    u = h & _MASK32
    u ^= u >> 16
    return u - (1 << 32) if u >= 1 << 31 else u


# ---------------------------------------------------------------- nodes and red-black trees

_UNSET = object()


class _Node:
    __slots__ = ("key", "hash", "cmp", "parent", "left", "right", "red")

    def __init__(self, key: Any, h: int) -> None:
        self.key = key
        self.hash = h  # spread hash, signed: trees compare it as Java compares ints
        self.cmp: Any = _UNSET  # compareTo sort key, computed when a tree first needs it
        self.parent: _Node | None = None
        self.left: _Node | None = None
        self.right: _Node | None = None
        self.red = False


def _goes_left(x: _Node, p: _Node, compare_key: Callable[[Any], Any] | None) -> bool:
    """Whether ``x`` descends to the left of ``p`` (``dir <= 0`` in ``treeify`` / ``putTreeVal``)."""
    if p.hash != x.hash:
        return p.hash > x.hash
    if compare_key is not None:
        if x.cmp is _UNSET:
            x.cmp = compare_key(x.key)
        if p.cmp is _UNSET:
            p.cmp = compare_key(p.key)
        if x.cmp != p.cmp:
            return x.cmp < p.cmp
    raise ValueError(
        f"keys {x.key!r} and {p.key!r} share a hash code and have no compareTo order: Java orders them "
        "by System.identityHashCode, which differs from run to run, so there is no order to reproduce"
    )


def _rotate_left(root: _Node, p: _Node | None) -> _Node:
    r = None if p is None else p.right
    if p is not None and r is not None:
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


def _rotate_right(root: _Node, p: _Node | None) -> _Node:
    left = None if p is None else p.left
    if p is not None and left is not None:
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
    # TreeNode.balanceInsertion: the CLR red-black fix-up after inserting the red leaf x.
    x.red = True
    while True:
        xp = x.parent
        if xp is None:
            x.red = False
            return x
        xpp = xp.parent
        if not xp.red or xpp is None:
            return root
        if xp is xpp.left:
            uncle = xpp.right
            if uncle is not None and uncle.red:
                uncle.red = xp.red = False
                xpp.red = True
                x = xpp
                continue
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
            uncle = xpp.left
            if uncle is not None and uncle.red:
                uncle.red = xp.red = False
                xpp.red = True
                x = xpp
                continue
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


def _is_red(n: _Node | None) -> bool:
    return n is not None and n.red


def _balance_deletion(root: _Node, x: _Node | None) -> _Node:
    # TreeNode.balanceDeletion: the CLR fix-up after unlinking a black node, starting at x.
    while True:
        if x is None or x is root:
            return root
        xp = x.parent
        if xp is None:
            x.red = False
            return x
        if x.red:
            x.red = False
            return root
        if xp.left is x:
            sib = xp.right
            if sib is not None and sib.red:
                sib.red = False
                xp.red = True
                root = _rotate_left(root, xp)
                xp = x.parent
                sib = None if xp is None else xp.right
            if sib is None:
                x = xp
                continue
            if not _is_red(sib.left) and not _is_red(sib.right):
                sib.red = True
                x = xp
                continue
            if not _is_red(sib.right):
                if sib.left is not None:
                    sib.left.red = False
                sib.red = True
                root = _rotate_right(root, sib)
                xp = x.parent
                sib = None if xp is None else xp.right
            if sib is not None:
                sib.red = False if xp is None else xp.red
                if sib.right is not None:
                    sib.right.red = False
            if xp is not None:
                xp.red = False
                root = _rotate_left(root, xp)
            x = root
        else:
            sib = xp.left
            if sib is not None and sib.red:
                sib.red = False
                xp.red = True
                root = _rotate_right(root, xp)
                xp = x.parent
                sib = None if xp is None else xp.left
            if sib is None:
                x = xp
                continue
            if not _is_red(sib.left) and not _is_red(sib.right):
                sib.red = True
                x = xp
                continue
            if not _is_red(sib.left):
                if sib.right is not None:
                    sib.right.red = False
                sib.red = True
                root = _rotate_left(root, sib)
                xp = x.parent
                sib = None if xp is None else xp.left
            if sib is not None:
                sib.red = False if xp is None else xp.red
                if sib.left is not None:
                    sib.left.red = False
            if xp is not None:
                xp.red = False
                root = _rotate_right(root, xp)
            x = root


class _TreeBin:
    """A treeified bucket: its red-black tree and its linked list (the iteration order)."""

    __slots__ = ("root", "chain")

    def __init__(self, chain: list[_Node], compare_key: Callable[[Any], Any] | None) -> None:
        # TreeNode.treeify: insert the list's nodes in list order; the list itself is kept.
        root = chain[0]
        root.parent = root.left = root.right = None
        root.red = False
        for x in chain[1:]:
            x.left = x.right = None
            p = root
            while True:
                left = _goes_left(x, p, compare_key)
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

    def put(self, x: _Node, compare_key: Callable[[Any], Any] | None) -> None:
        # TreeNode.putTreeVal: x becomes a leaf under p, and follows p in the list.
        p: _Node = self.root
        while True:
            left = _goes_left(x, p, compare_key)
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

    def remove(self, p: _Node) -> list[_Node] | _TreeBin | None:
        """``TreeNode.removeTreeNode`` (movable): what the bucket holds afterwards."""
        self.chain.remove(p)
        if not self.chain:
            return None
        root = self.root
        if root.right is None or root.left is None or root.left.left is None:
            return self.chain  # "too small": the rest becomes a plain list, in list order
        pl, pr = p.left, p.right
        if pl is not None and pr is not None:
            # Two children: swap p with its successor s in the tree (links and colours, not
            # keys, since the list pins each node), which leaves p with at most a right child.
            s = pr
            while s.left is not None:
                s = s.left
            s.red, p.red = p.red, s.red
            sr = s.right
            pp = p.parent
            if s is pr:
                p.parent = s
                s.right = p
            else:
                sp = s.parent  # never None: s is below pr
                p.parent = sp
                if sp is not None:
                    if s is sp.left:
                        sp.left = p
                    else:
                        sp.right = p
                s.right = pr
                pr.parent = s
            p.left = None
            p.right = sr
            if sr is not None:
                sr.parent = p
            s.left = pl
            pl.parent = s
            s.parent = pp
            if pp is None:
                root = s
            elif p is pp.left:
                pp.left = s
            else:
                pp.right = s
            replacement = sr if sr is not None else p
        elif pl is not None:
            replacement = pl
        elif pr is not None:
            replacement = pr
        else:
            replacement = p
        if replacement is not p:
            pp = replacement.parent = p.parent
            if pp is None:
                root = replacement
                replacement.red = False
            elif p is pp.left:
                pp.left = replacement
            else:
                pp.right = replacement
            p.left = p.right = p.parent = None
        new_root = root if p.red else _balance_deletion(root, replacement)
        if replacement is p:  # p is a leaf now: detach it
            pp = p.parent
            p.parent = None
            if pp is not None:
                if p is pp.left:
                    pp.left = None
                elif p is pp.right:
                    pp.right = None
        self.root = new_root
        self._move_root_to_front()
        return self


# ---------------------------------------------------------------- HashSet


class HashSet(Generic[K]):
    """A ``java.util.HashSet`` (equally: the keys of a ``java.util.HashMap``) in Java's iteration order.

    It holds keys only -- values never change a ``HashMap``'s order -- and supports what Kafka's
    code does to the maps whose order matters: ``add`` (``put``), ``remove``, iteration and
    ``iterator().next()`` (:meth:`first`). Iterating yields the keys in Java's order.

    Args:
        hash_code: the key's Java ``hashCode()`` (signed or unsigned 32 bits); by default
            ``String.hashCode``.
        compare_key: a sort key giving the keys' ``compareTo`` order, or None when the key class is
            not ``Comparable`` (like ``TopicPartition``); only a tree bucket holding two keys with
            the same hash code consults it. By default ``String.compareTo``.
        initial_capacity: the ``new HashMap<>(n)`` / ``new HashSet<>(n)`` argument; 16 for the
            no-argument constructor.

    Raises:
        ValueError: a negative ``initial_capacity``.
    """

    __slots__ = ("_hash_code", "_compare_key", "_nodes", "_table", "_capacity", "_threshold")

    def __init__(
        self,
        hash_code: Callable[[Any], int] = string_hash_code_unsigned,
        compare_key: Callable[[Any], Any] | None = string_compare_key,
        *,
        initial_capacity: int = _DEFAULT_INITIAL_CAPACITY,
    ) -> None:
        if isinstance(initial_capacity, bool) or not isinstance(initial_capacity, int) or initial_capacity < 0:
            raise ValueError(f"a HashMap's initial capacity is an int >= 0, not {initial_capacity!r}")
        self._hash_code = hash_code
        self._compare_key = compare_key
        self._nodes: dict[K, _Node] = {}
        self._table: dict[int, list[_Node] | _TreeBin] = {}  # bucket index -> its keys
        self._set_capacity(table_size_for(initial_capacity))

    @classmethod
    def of(
        cls,
        elements: Iterable[K],
        hash_code: Callable[[K], int],
        compare_key: Callable[[K], Any] | None,
    ) -> HashSet[K]:
        """``new HashSet<>(c)``: sized for ``c`` (:func:`collection_capacity`), then ``c``'s elements added in order.

        Args:
            elements: the collection, in its iteration order (a repeated element counts towards
                the size, as ``c.size()`` does, and is added once).
            hash_code, compare_key: as for :class:`HashSet`.
        """
        items = list(elements)
        s = cls(hash_code, compare_key, initial_capacity=collection_capacity(len(items)))
        for key in items:
            s.add(key)
        return s

    def _set_capacity(self, capacity: int) -> None:
        self._capacity = capacity
        # (int) (capacity * 0.75f), which the doubling of HashMap.resize() also gives.
        self._threshold = capacity * 3 // 4 if capacity < _MAXIMUM_CAPACITY else (1 << 31) - 1

    @property
    def capacity(self) -> int:
        """The number of buckets (``table.length``)."""
        return self._capacity

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, key: object) -> bool:
        return key in self._nodes

    def __iter__(self) -> Iterator[K]:
        table = self._table
        for index in sorted(table):
            bucket = table[index]
            for node in bucket if isinstance(bucket, list) else bucket.chain:
                yield node.key

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def first(self) -> K:
        """``iterator().next()``: the first key of the lowest non-empty bucket.

        Raises:
            KeyError: the set is empty.
        """
        if not self._table:
            raise KeyError("first() of an empty set")
        bucket = self._table[min(self._table)]
        return (bucket if isinstance(bucket, list) else bucket.chain)[0].key

    def add(self, key: K) -> bool:
        """``HashSet.add`` / ``HashMap.put`` of a new key (``putVal``).

        Returns:
            False if ``key`` was already there (the order does not change), else True.

        Raises:
            ValueError: Java would order ``key`` by identity hash (see the module docstring).
        """
        if key in self._nodes:
            return False
        u = self._hash_code(key) & _MASK32
        u ^= u >> 16  # spread(), inlined: this is the hot path
        node = _Node(key, u - (1 << 32) if u >= 1 << 31 else u)
        index = node.hash & (self._capacity - 1)
        bucket = self._table.get(index)
        if bucket is None:
            self._table[index] = [node]
        elif isinstance(bucket, list):
            bucket.append(node)
            if len(bucket) > _TREEIFY_THRESHOLD:
                if self._capacity < _MIN_TREEIFY_CAPACITY:
                    self._resize()  # treeifyBin on a small table
                else:
                    self._table[index] = _TreeBin(bucket, self._compare_key)
        else:
            bucket.put(node, self._compare_key)
        self._nodes[key] = node
        if len(self._nodes) > self._threshold:
            self._resize()
        return True

    def remove(self, key: K) -> bool:
        """``HashSet.remove`` / ``HashMap.remove`` (``removeNode``): the other keys keep their places.

        Returns:
            True if ``key`` was there.
        """
        node = self._nodes.pop(key, None)
        if node is None:
            return False
        index = node.hash & (self._capacity - 1)
        bucket = self._table[index]
        rest: list[_Node] | _TreeBin | None
        if isinstance(bucket, list):
            bucket.remove(node)
            rest = bucket
        else:
            rest = bucket.remove(node)
        if rest:
            self._table[index] = rest
        else:
            del self._table[index]
        return True

    def discard(self, key: K) -> None:
        """:meth:`remove`, ignoring whether ``key`` was there."""
        self.remove(key)

    def _resize(self) -> None:
        # HashMap.resize(): double the table, splitting every bucket in a low and a high half.
        old_cap = self._capacity
        if old_cap >= _MAXIMUM_CAPACITY:
            self._threshold = (1 << 31) - 1
            return
        table: dict[int, list[_Node] | _TreeBin] = {}
        for index, bucket in self._table.items():
            if isinstance(bucket, list) and len(bucket) == 1:
                table[index + old_cap if bucket[0].hash & old_cap else index] = bucket
                continue
            low: list[_Node] = []
            high: list[_Node] = []
            for n in bucket if isinstance(bucket, list) else bucket.chain:
                (high if n.hash & old_cap else low).append(n)
            for half, other, at in ((low, high, index), (high, low, index + old_cap)):
                if not half:
                    continue
                if isinstance(bucket, list) or len(half) <= _UNTREEIFY_THRESHOLD:
                    table[at] = half
                elif other:
                    table[at] = _TreeBin(half, self._compare_key)  # TreeNode.split re-treeifies
                else:
                    table[at] = bucket  # the whole tree moved: it stays as it is
        self._table = table
        self._set_capacity(old_cap * 2)


class TopicPartitionHashSet(HashSet[tuple[str, int]]):
    """A ``new HashSet<TopicPartition>()``, elements given as ``(topic, partition)``.

    ``AbstractStickyAssignor.PartitionMovements.getTheActualPartitionToBeMoved`` returns
    ``iterator().next()`` of such a set (:meth:`first`), so the exact element matters.
    ``TopicPartition`` is not ``Comparable``; two distinct partitions of one topic never share a
    hash code.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(topic_partition_hash_code, None)


# ---------------------------------------------------------------- orders of whole collections


def hash_map_order(
    keys: Iterable[K],
    hash_fn: Callable[[Any], int] = string_hash_code_unsigned,
    *,
    initial_capacity: int = _DEFAULT_INITIAL_CAPACITY,
    compare_key: Callable[[Any], Any] | None = string_compare_key,
) -> list[K]:
    """The iteration order of a ``new HashMap<>()`` after ``put``-ing ``keys`` in this order.

    The table grows as the keys arrive, so the order differs from a pre-sized map's
    (:func:`hash_set_order`) once there are more than 12 keys.

    Args:
        keys: keys in insertion order (a repeated key keeps its first place, as ``put`` does).
        hash_fn: the key's Java ``hashCode()`` (signed or unsigned 32 bits); by default
            ``String.hashCode``.
        initial_capacity: the ``new HashMap<>(n)`` argument; 16 for ``new HashMap<>()``. Some of
            Kafka's tests build their maps with ``new HashMap<>(consumers.size())``.
        compare_key: the keys' ``compareTo`` sort key (see :class:`HashSet`); by default
            ``String.compareTo``.

    Returns:
        The keys in Java iteration order.
    """
    table: HashSet[K] = HashSet(hash_fn, compare_key, initial_capacity=initial_capacity)
    for key in keys:
        table.add(key)
    return list(table)


def hash_set_order(
    elements: Iterable[K],
    hash_code: Callable[[K], int],
    compare_key: Callable[[K], Any] | None,
) -> list[K]:
    """The iteration order of ``new HashSet<>(c)`` where ``c`` iterates ``elements``.

    Args:
        elements: the collection, in its iteration order.
        hash_code: the key's Java ``hashCode()`` (signed or unsigned 32 bits).
        compare_key: a sort key giving the keys' ``compareTo`` order, or None (see :class:`HashSet`).

    Returns:
        The distinct elements in Java iteration order.
    """
    items = list(elements)
    mask = collection_capacity(len(items)) - 1
    keys = list(dict.fromkeys(items))
    buckets = [((u := hash_code(k) & _MASK32) ^ (u >> 16)) & mask for k in keys]  # spread(h) & mask
    if max(Counter(buckets).values(), default=0) <= _TREEIFY_THRESHOLD:
        # No bucket ever reaches 9 keys, so the table neither grows nor builds a tree: bucket
        # order, then insertion order within a bucket (a stable sort).
        return [keys[i] for i in sorted(range(len(keys)), key=buckets.__getitem__)]
    return list(HashSet.of(items, hash_code, compare_key))
