"""Bilibili's "academy hot" score, in exact integer arithmetic.

    w   = 40*coin + 30*fav + 40*danmaku + 40*reply + 25*view + 40*like + 60*share
    hot = w * 3 // 200   if now - 86400 <= pub_time <= now   (x1.5 new-video boost)
    hot = w // 100       otherwise

This is floor(0.4c + 0.3f + 0.4d + 0.4r + 0.25v + 0.4l + 0.6s), times 1.5 inside
the floor when boosted, without float rounding. Python ints never overflow, so
counts of any size are exact.
"""

from collections.abc import Iterable, Iterator

BOOST_WINDOW_SECONDS = 86400

# One archive's inputs, in the order the engine's queries select them.
ScoreInput = tuple[int, int, int, int, int, int, int, int]  # pub_time, view, like, coin, fav, share, reply, danmaku


def hot_scores(inputs: Iterable[ScoreInput], *, now: int) -> Iterator[int]:
    """The hot of each (pub_time, view, like, coin, fav, share, reply, danmaku).

    The one definition of the formula, as a loop: the engine scores a million
    rows a pass, and a keyword call per row made its scoring a quarter slower.
    """
    window_start = now - BOOST_WINDOW_SECONDS  # both ends inclusive; a future pub_time is not boosted
    for pub_time, view, like, coin, fav, share, reply, danmaku in inputs:
        weighted = 40 * coin + 30 * fav + 40 * danmaku + 40 * reply + 25 * view + 40 * like + 60 * share
        yield weighted * 3 // 200 if window_start <= pub_time <= now else weighted // 100


def hot_score(
    *,
    view: int = 0,
    like: int = 0,
    coin: int = 0,
    fav: int = 0,
    share: int = 0,
    reply: int = 0,
    danmaku: int = 0,
    pub_time: int,
    now: int,
) -> int:
    """One archive's hot."""
    return next(hot_scores([(pub_time, view, like, coin, fav, share, reply, danmaku)], now=now))
