import pytest

from hotrank.formula import hot_score

NOW = 1_764_000_000
ONES = dict(view=1, like=1, coin=1, fav=1, share=1, reply=1, danmaku=1)  # w = 275


@pytest.mark.parametrize(
    ("pub_time", "expected"),
    [
        (NOW - 86400, 275 * 3 // 200),  # window start, inclusive
        (NOW, 275 * 3 // 200),  # window end, inclusive
        (NOW - 1, 4),
        (NOW + 1, 2),  # future: no boost
        (NOW - 86401, 2),  # just outside the window
    ],
)
def test_boost_window_edges(pub_time, expected):
    assert hot_score(**ONES, pub_time=pub_time, now=NOW) == expected


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        ({}, 0),  # zero stats and a missing stat row score the same
        (dict(coin=1), 0),  # 0.4 floors to 0
        (dict(coin=3), 1),  # 1.2
        (dict(view=4), 1),  # 0.25 * 4
        (dict(view=3), 0),  # 0.75
        (dict(share=5), 3),  # 3.0 exactly, where floats may give 2.9999
        (dict(fav=10), 3),
        (dict(like=7, danmaku=3, reply=1), 4),  # 4.4
        (dict(view=1000, like=100, coin=10, fav=20, share=5, reply=7, danmaku=30), 250 + 40 + 4 + 6 + 3 + 2 + 12),
    ],
)
def test_weights_unboosted(stats, expected):
    assert hot_score(**stats, pub_time=NOW - 10 * 86400, now=NOW) == expected


def test_boost_applies_inside_the_floor():
    # w = 40 * 1 = 40: unboosted 0.4 -> 0, boosted 0.6 -> 0; w = 80: 0.8 -> 0 vs 1.2 -> 1
    assert hot_score(coin=2, pub_time=NOW, now=NOW) == 1
    assert hot_score(coin=2, pub_time=NOW - 86401, now=NOW) == 0


@pytest.mark.parametrize("count", [10**12, 10**15, 10**15 - 1])
def test_huge_counts_are_exact(count):
    stats = {k: count for k in ONES}
    assert hot_score(**stats, pub_time=0, now=NOW) == 275 * count // 100
    assert hot_score(**stats, pub_time=NOW, now=NOW) == 275 * count * 3 // 200
    # a float path loses digits at this size; the exact value is the defined one
    assert hot_score(view=count, pub_time=0, now=NOW) == count // 4
