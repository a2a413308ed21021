"""Bilibili's "academy hot" score, in exact integer arithmetic.

    w   = 40*coin + 30*fav + 40*danmaku + 40*reply + 25*view + 40*like + 60*share
    hot = w * 3 // 200   if now - 86400 <= pub_time <= now   (x1.5 new-video boost)
    hot = w // 100       otherwise

This is floor(0.4c + 0.3f + 0.4d + 0.4r + 0.25v + 0.4l + 0.6s), times 1.5 inside
the floor when boosted, without float rounding. Python ints never overflow, so
counts of any size are exact.
"""

BOOST_WINDOW_SECONDS = 86400


def is_boosted(*, pub_time: int, now: int) -> bool:
    """Both window ends are inclusive; a future pub_time is not boosted."""
    return now - BOOST_WINDOW_SECONDS <= pub_time <= now


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
    weighted = 40 * coin + 30 * fav + 40 * danmaku + 40 * reply + 25 * view + 40 * like + 60 * share
    if is_boosted(pub_time=pub_time, now=now):
        return weighted * 3 // 200
    return weighted // 100
