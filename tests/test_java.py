"""kafkalab.java: Java's hash codes and HashMap / HashSet iteration order.

The expected orders below are worked out by hand from OpenJDK 17's rules (see the comments and
kafkalab/java/hashmap.py), and each one is also what a real ``java.util.HashSet`` prints for the
same operations. ``Integer`` keys make the buckets easy to follow: ``hashCode()`` is the value, and
``spread(h) == h`` below 65536, so key ``k`` sits in bucket ``k % capacity``.
"""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kafkalab.java import (
    HashSet,
    TopicPartitionHashSet,
    collection_capacity,
    hash_map_order,
    hash_set_order,
    spread,
    string_compare_key,
    table_size_for,
    topic_partition_hash_code,
    uuid_hash_code,
)
from kafkalab.java.hashmap import _TreeBin


def ints(initial_capacity: int = 16) -> HashSet[int]:
    """``new HashSet<Integer>(initial_capacity)``."""
    return HashSet(int, int, initial_capacity=initial_capacity)


def filled(keys, initial_capacity: int = 16) -> HashSet[int]:
    s = ints(initial_capacity)
    for k in keys:
        s.add(k)
    return s


# ------------------------------------------------------------------------------ values


def test_uuid_hash_code_xors_the_four_words():
    # 0x01234567 ^ 0x89abcdef = 0x88888888, negative as an int.
    assert uuid_hash_code(0x0123456789ABCDEF, 0) == 0x88888888 - (1 << 32)
    # 0x0123456789abcdef ^ 0x0fedcba987654321 = 0x0ece8ece_0ece8ece: the halves cancel.
    assert uuid_hash_code(0x0123456789ABCDEF, 0x0FEDCBA987654321) == 0
    assert uuid_hash_code(0x80000000, 0) == -(1 << 31)  # Java's int is signed
    assert uuid_hash_code(-1, 0) == 0  # the two halves of all-ones cancel
    assert uuid_hash_code(-1, 0) == uuid_hash_code((1 << 64) - 1, 0)  # a long is 64 bits either way


def test_table_sizes():
    assert [table_size_for(n) for n in (0, 1, 2, 3, 16, 17, 1 << 30, (1 << 30) + 1)] == [
        1, 1, 2, 4, 16, 32, 1 << 30, 1 << 30
    ]
    # new HashSet<>(c): max((int) (n / .75f) + 1, 16), rounded up to a power of two.
    assert [collection_capacity(n) for n in (0, 11, 12, 23, 24, 48, 49)] == [16, 16, 32, 32, 64, 128, 128]


def test_spread_folds_the_high_half_into_the_low_half():
    assert spread(5) == 5
    assert spread(0x10000) == 0x10001
    assert spread(-1) == spread(0xFFFFFFFF) == -65536  # 0xffff0000 as a signed int


# ------------------------------------------------------------------------------ plain buckets


def test_a_map_filled_by_put_differs_from_one_sized_for_its_contents():
    keys = [17, 1, *range(2, 12)]  # 12 keys
    # new HashMap<>() + put: 16 buckets (12 is not above 0.75 x 16), 17 and 1 share bucket 1 in
    # insertion order.
    assert hash_map_order(keys, int, compare_key=int) == [17, 1, *range(2, 12)]
    # new HashSet<>(keys): 12 / .75 + 1 = 17, so 32 buckets, and 17 has its own.
    assert hash_set_order(keys, int, int) == [1, *range(2, 12), 17]


def test_the_13th_put_doubles_the_table_and_splits_buckets():
    # 13 > 12: 32 buckets; bucket 1's list [17, 1] splits into bucket 1 [1] and bucket 17 [17].
    assert hash_map_order([17, 1, *range(2, 13)], int, compare_key=int) == [1, *range(2, 13), 17]


def test_a_9th_key_in_one_bucket_of_a_small_table_doubles_it_instead_of_building_a_tree():
    # 0, 16, ..., 128 all land in bucket 0 of 16; the 9th doubles the table to 32 buckets:
    # multiples of 32 stay in bucket 0, the others move to bucket 16, each half in its old order.
    s = filled(16 * i for i in range(9))
    assert s.capacity == 32
    assert list(s) == [0, 32, 64, 96, 128, 16, 48, 80, 112]


def test_remove_keeps_the_others_in_place_and_first_is_the_lowest_bucket():
    s = filled([33, 1, 17, 2])  # bucket 1: [33, 1, 17], bucket 2: [2]
    assert s.first() == 33 and list(s) == [33, 1, 17, 2]
    assert s.remove(1) and not s.remove(1)
    assert list(s) == [33, 17, 2] and len(s) == 3 and 1 not in s and 17 in s
    assert not s.add(33)  # already there: nothing moves
    for k in (33, 17):
        s.discard(k)
    assert s.first() == 2
    s.discard(2)
    with pytest.raises(KeyError):
        s.first()


def test_same_hash_strings_share_a_bucket_in_insertion_order():
    assert hash_map_order(["BB", "Aa"]) == ["BB", "Aa"]
    assert hash_map_order(["Aa", "BB"]) == ["Aa", "BB"]


# ------------------------------------------------------------------------------ tree buckets

# 5 + 64 * i: bucket 5 of a 64-bucket table, for every i.
R = [5 + 64 * i for i in range(10)]


def test_a_9th_key_in_one_bucket_of_64_builds_a_red_black_tree_and_moves_its_root_first():
    # Inserting ranks 1..9 in ascending order into a red-black tree (CLR insertion, as
    # TreeNode.treeify does) leaves rank 4 at the root; the bucket's list keeps its order but
    # the root moves to the front.
    s = filled(R[1:10], initial_capacity=64)
    assert s.capacity == 64
    assert list(s) == [R[4], R[1], R[2], R[3], R[5], R[6], R[7], R[8], R[9]]


def test_a_key_added_to_a_tree_follows_its_parent_in_the_list():
    # R[0] is the smallest: it descends R[4] -> R[2] -> R[1] and becomes R[1]'s left child, so
    # the list gets it right after R[1] (not at the end); R[1] is black, nothing rebalances.
    s = filled(R[1:10], initial_capacity=64)
    s.add(R[0])
    assert list(s) == [R[4], R[1], R[0], R[2], R[3], R[5], R[6], R[7], R[8], R[9]]


def test_removing_a_trees_root_puts_the_new_root_first():
    # Tree after the 10 keys: R4 (root) with R2 [R1 [R0], R3] and R6 [R5, R8 [R7, R9]].
    # Removing R4 swaps it with its successor R5, which becomes the root; the fix-up rotates at
    # R6. The list without R4, with the new root moved to the front:
    s = filled(R[1:10], initial_capacity=64)
    s.add(R[0])
    s.remove(R[4])
    assert list(s) == [R[5], R[1], R[0], R[2], R[3], R[6], R[7], R[8], R[9]]


def test_a_tree_too_small_after_a_removal_becomes_a_list_again():
    # The tree of R[1..9]: R4 [R2 [R1, R3], R6 [R5, R8 [R7, R9]]]. Removing the leaf R1 only
    # recolours. Then R2 has no left child, so removing R2 finds the tree "too small"
    # (removeTreeNode checks root.left.left) and the bucket becomes a plain list: R0 is appended
    # at its end, where a tree would have put it after its parent R3.
    s = filled(R[1:10], initial_capacity=64)
    s.remove(R[1])
    assert list(s) == [R[4], R[2], R[3], R[5], R[6], R[7], R[8], R[9]]
    s.remove(R[2])
    s.add(R[0])
    assert list(s) == [R[4], R[3], R[5], R[6], R[7], R[8], R[9], R[0]]


def test_a_tree_that_moves_whole_in_a_resize_keeps_its_shape():
    # 5 + 128 * i all have bit 64 clear: when 64 buckets become 128 (the 49th key), the whole
    # tree stays in bucket 5 as it is (TreeNode.split re-treeifies only a tree that splits).
    # Keys added afterwards follow their parents in that tree. The order below is what Java
    # prints; re-treeifying the list [4, 2, 8, 7, 3, 1, 5, 9, 6] instead would give another root (7).
    k = [5 + 128 * i for i in range(12)]
    s = filled([k[i] for i in (2, 8, 7, 3, 1, 5, 4, 9, 6)], initial_capacity=64)
    assert list(s) == [k[i] for i in (4, 2, 8, 7, 3, 1, 5, 9, 6)]
    for filler in range(6, 46):
        s.add(filler)
    assert s.capacity == 128
    s.add(k[10])
    s.add(k[11])
    assert list(s) == [*(k[i] for i in (4, 2, 8, 7, 3, 1, 5, 9, 10, 11, 6)), *range(6, 46)]


def test_a_resize_splits_a_tree_and_small_halves_become_lists_in_tree_list_order():
    # The tree of R[0..8] iterates [R3, R0, R1, R2, R4..R8]. 40 more keys (6..45, buckets of their
    # own) make 49 > 48: 128 buckets. Even i stay in bucket 5, odd i move to bucket 69; each
    # half has at most 6 keys, so it becomes a plain list in the order it had.
    s = filled([*R[:9], *range(6, 46)], initial_capacity=64)
    assert s.capacity == 128
    assert list(s) == [R[0], R[2], R[4], R[6], R[8], *range(6, 46), R[3], R[1], R[5], R[7]]


def test_string_trees_order_equal_hashes_by_compare_to():
    # 9 strings with one hash code ("Aa" and "BB" hash alike), in ascending compareTo order.
    words = ["".join(p) for p in itertools.product(["Aa", "BB"], repeat=4)][:9]
    assert words == sorted(words, key=string_compare_key)
    up = hash_map_order(words, initial_capacity=64)
    assert up == [words[3], *words[:3], *words[4:]]  # as with ascending ranks above
    # Descending insertion builds the mirror-image tree: its root is the 4th largest.
    down = hash_map_order(words[::-1], initial_capacity=64)
    assert down == [words[5], words[8], words[7], words[6], words[4], words[3], words[2], words[1], words[0]]


def test_a_tree_tie_without_compare_to_is_refused():
    s = HashSet(lambda k: 7, None, initial_capacity=64)
    for k in range(8):
        s.add(k)
    with pytest.raises(ValueError, match="identityHashCode"):
        s.add(8)  # the 9th builds a tree, which has no way to order two keys with one hash


# ------------------------------------------------------------------------------ the users


def test_topic_partition_hash_set_first_after_removals():
    s = TopicPartitionHashSet()
    for p in (5, 1, 3):
        s.add(("t", p))
    by_bucket = sorted((5, 1, 3), key=lambda p: spread(topic_partition_hash_code(("t", p))) & 15)
    assert s.first() == ("t", by_bucket[0])
    s.discard(("t", by_bucket[0]))
    assert s.first() == ("t", by_bucket[1]) and len(s) == 2


def test_hash_set_order_counts_repeats_for_the_size_but_adds_them_once():
    # 12 elements (with a repeat) size the table at 32 buckets, so 17 does not share bucket 1.
    assert hash_set_order([17, 1, 1, *range(2, 11)], int, int) == [1, *range(2, 11), 17]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 1 << 20), unique=True, max_size=80), st.sampled_from([1, 32, 64, 1 << 16]))
def test_hash_set_orders_fast_path_agrees_with_replaying_the_table(values, step):
    keys = [v * step for v in values]  # steps of 32 and 64 crowd buckets into lists and trees
    assert hash_set_order(keys, int, int) == list(HashSet.of(keys, int, int))


def _check_tree(tree: _TreeBin) -> None:
    """Java's TreeNode.checkInvariants, plus: the list holds exactly the tree's nodes, root first."""
    seen = []

    def walk(n, lo, hi):
        if n is None:
            return 1
        key = (n.hash, n.key)
        assert (lo is None or lo < key) and (hi is None or key < hi), "search order"
        for child in (n.left, n.right):
            if child is not None:
                assert child.parent is n
                assert not (n.red and child.red), "red node with a red child"
        seen.append(n)
        black = walk(n.left, lo, key)
        assert black == walk(n.right, key, hi), "black heights differ"
        return black + (not n.red)

    assert tree.root.parent is None and not tree.root.red
    walk(tree.root, None, None)
    assert tree.chain[0] is tree.root
    assert sorted(map(id, seen)) == sorted(map(id, tree.chain))


def test_trees_stay_valid_red_black_trees_through_adds_removes_and_resizes():
    def key(i: int) -> int:  # mostly one bucket; some keys elsewhere, to grow the table
        return 3 + 64 * i if i < 45 else 1000 + i

    rng = random.Random(848)
    for _ in range(150):
        s = ints(64)
        present: set[int] = set()
        ops = [(True, i) for i in rng.sample(range(60), rng.randint(9, 60))]
        ops += [(rng.random() < 0.4, rng.randrange(60)) for _ in range(rng.randint(0, 120))]
        for add, i in ops:
            if add:
                s.add(key(i))
                present.add(key(i))
            else:
                s.discard(key(i))
                present.discard(key(i))
            for bucket in s._table.values():
                if type(bucket) is _TreeBin:
                    _check_tree(bucket)
        assert sorted(s) == sorted(present) and len(s) == len(present)
