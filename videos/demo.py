"""Synthetic demo data: Bilibili-like videos, stats and archives, deterministic per seed.

Rows go in as raw multi-row inserts per table and chunk rather than `bulk_create`:
at a million videos, building three million model instances costs more than the
inserts themselves. `ctime`/`mtime` are left to their database defaults.
"""

import itertools
import math
import random
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import Max

from hotrank.models import AcademyArchive
from videos.models import VideoInfo, VideoStat

CHUNK = 5000  # videos per transaction: large enough to amortise commits, small enough to show progress
DELETED_RATE = 0.01

# region id -> (relative weight, title topics). Weights roughly follow Bilibili's traffic mix.
REGIONS = {
    1: (10, ["番剧混剪", "新番导视", "AMV", "动画MAD", "声优名场面", "Anime OP cover"]),
    3: (8, ["翻唱", "原创音乐", "钢琴改编", "吉他弹唱", "live现场", "Vocaloid cover", "lo-fi beats"]),
    4: (14, ["原神", "艾尔登法环", "我的世界", "王者荣耀", "英雄联盟", "Minecraft speedrun", "Steam新游"]),
    5: (6, ["综艺名场面", "明星采访", "整活", "reaction", "vlog合集"]),
    36: (10, ["高数", "量子力学", "经济学", "历史冷知识", "心理学", "TED talk", "科普"]),
    119: (5, ["鬼畜调教", "全明星", "电音鬼畜", "名场面鬼畜", "YTP remix"]),
    155: (4, ["穿搭", "仿妆", "护肤", "OOTD", "发型改造"]),
    160: (12, ["日常vlog", "租房改造", "大学生活", "打工人的一天", "搬家", "city walk"]),
    181: (7, ["电影解说", "影视剪辑", "混剪", "movie review", "冷门佳片"]),
    188: (9, ["手机评测", "装机", "显卡", "Python教程", "Linux", "DIY键盘", "AI绘画"]),
    211: (7, ["家常菜", "探店", "烘焙", "街头小吃", "Xi'an street food", "减脂餐"]),
    217: (6, ["猫猫", "狗狗", "仓鼠", "野生动物", "cute cats compilation", "水族"]),
}
_REGION_IDS = list(REGIONS)
_REGION_CUM = list(itertools.accumulate(w for w, _ in REGIONS.values()))
_TAGS = ["【4K】", "【中字】", "【熟肉】", "【教程】", "【合集】", "【首发】", "", "", "", ""]
_HOOKS = ["第{n}期", "全网最全", "建议收藏", "一口气看完", "{n}分钟看懂", "|Part {n}", "!!!", "？",
          "（完整版）", "我哭了", "yyds", "official", "EP{n}", "万字长文", "new record", "真的绝了"]
_DESCS = ["", "", "一键三连支持一下~", "素材来源网络，侵删", "BGM见评论区", "Thanks for watching!",
          "up主第一次投稿，求关注", "转载请注明出处"]
_NAME_HEADS = ["阿", "小", "老", "大", "是", "一只", "今天也", "Mr.", "Dr.", "Lucky", "Neko", "Pixel"]
_NAME_TAILS = ["咸鱼", "橘子", "团子", "学长", "阿婆主", "菌", "酱", "君", "Cat", "Studio", "Lab", "Fox",
               "不想上班", "在摸鱼", "吃饱了", "Official"]

# Engagement per view: medians of (like, coin, fav, share, reply, danmaku) ratios.
_RATIOS = (0.045, 0.012, 0.025, 0.004, 0.003, 0.006)


def _author_name(author_id):
    # A pure function of the id, so one author keeps one name across videos and runs.
    h, t = author_id % len(_NAME_HEADS), (author_id // len(_NAME_HEADS)) % len(_NAME_TAILS)
    return f"{_NAME_HEADS[h]}{_NAME_TAILS[t]}{author_id % 1000 if author_id % 3 else ''}"


INFO_FIELDS = ("vid", "title", "cover", "author_id", "author_name", "region_id", "duration", "description",
               "pub_time", "state")
STAT_FIELDS = ("vid", "view", "like_count", "coin", "fav", "share", "reply", "danmaku")
ARCHIVE_FIELDS = ("oid", "hot", "business", "region_id", "pub_time", "state", "comment")


def _video(rng, vid, now, n_authors):
    """One video's (info, stat, archive) rows."""
    gauss = rng.gauss  # exp(gauss) is a lognormal; lognormvariate's rejection sampler is ~3x slower
    region = rng.choices(_REGION_IDS, cum_weights=_REGION_CUM)[0]
    # ~10% in the last 24 h (the hot formula's boost window), the rest spread over 30 days.
    age = rng.randrange(86400) if rng.random() < 0.1 else rng.randrange(30 * 86400)
    # Views: lognormal (median ~1.5k, tail into the millions), scaled by how long the video has had
    # to collect them, since most views arrive within the first couple of days.
    view = int(math.exp(gauss(7.3, 2.0)) * (0.05 + 0.95 * (1 - math.exp(-age / 129600))))
    view = min(view, 80_000_000)
    # A shared per-video quality factor correlates the engagement counters with each other.
    q = math.exp(gauss(0, 0.5))
    like, coin, fav, share, reply, danmaku = (
        min(view, int(view * r * q * math.exp(gauss(0, 0.35)))) for r in _RATIOS
    )
    # Prolific authors: squaring the uniform favours low author indexes.
    author_id = 100_000 + int(n_authors * rng.random() ** 2)
    topic = rng.choice(REGIONS[region][1])
    hook = rng.choice(_HOOKS).format(n=rng.randrange(1, 100))
    title = f"{rng.choice(_TAGS)}{topic}{hook}"
    cover = f"https://i0.hdslb.com/bfs/archive/{rng.getrandbits(160):040x}.jpg"
    duration = max(10, min(36_000, int(math.exp(gauss(5.6, 0.8)))))
    state = 1 if rng.random() < DELETED_RATE else 0
    pub_time = now - age
    return (
        (vid, title, cover, author_id, _author_name(author_id), region, duration, rng.choice(_DESCS),
         pub_time, state),
        (vid, view, like, coin, fav, share, reply, danmaku),
        (vid, 0, 1, region, pub_time, 0, ""),
    )


def _chunks(rng, first_vid, videos, now, render):
    """Per chunk of videos, one rendered batch per table (see `_renderer`)."""
    n_authors = max(20, videos // 15)
    for start in range(0, videos, CHUNK):
        rows = [_video(rng, first_vid + i, now, n_authors) for i in range(start, min(start + CHUNK, videos))]
        yield [render(table_rows) for table_rows in zip(*rows, strict=True)]


def _prefetched(iterable):
    """Yield from `iterable`, computing the next item in a thread while the caller handles this one.

    Generating rows is pure Python, and a driver waiting on a database server releases the GIL,
    so this hides most of the generation time behind the inserts.
    """
    items = iter(iterable)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield item


def _renderer():
    """How the worker thread prepares a table's rows: as is for `executemany`, or on MySQL as SQL text.

    mysqlclient's executemany escapes each value through Python-level dispatch (~1 µs apiece), which
    costs more than the server's own work here, and its escaper belongs to the connection the main
    thread is using. Ints need no escaping; strings get the server's string-literal rules.
    """
    if connection.vendor != "mysql":
        return tuple
    escapes = {"'": "''"} if "NO_BACKSLASH_ESCAPES" in connection.sql_mode else {"'": "''", "\\": "\\\\"}
    table = str.maketrans(escapes)
    return lambda rows: ",".join(
        "(" + ",".join(str(v) if type(v) is int else f"'{v.translate(table)}'" for v in row) + ")" for row in rows
    ).encode()


def _insert(cursor, model, fields, batch):
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(model._meta.get_field(f).column) for f in fields)})"
    if isinstance(batch, tuple):
        cursor.executemany(f"{head} VALUES ({', '.join(['%s'] * len(fields))})", batch)
        return
    # The raw cursor keeps DEBUG's query log from holding every megabyte-long statement.
    with connection.wrap_database_errors, connection.connection.cursor() as raw:
        raw.execute(head.encode() + b" VALUES " + batch)


def next_free_vid():
    """First vid no table uses yet: archives and stats may hold vids video_info lacks."""
    top = max(
        VideoInfo.objects.aggregate(m=Max("vid"))["m"] or 0,
        VideoStat.objects.aggregate(m=Max("vid"))["m"] or 0,
        AcademyArchive.objects.aggregate(m=Max("oid"))["m"] or 0,
    )
    return top + 1


def demo_data_seed(*, videos: int, seed: int = 1, now: int | None = None, on_progress=None) -> int:
    """Insert `videos` synthetic videos with stats and archives (hot=0); returns the number inserted.

    The data depend only on the arguments; vids continue after the highest one in use,
    so repeated calls add videos and never collide. `on_progress(done, total)` runs after each chunk.
    """
    if videos <= 0:
        raise ValueError("videos must be > 0")
    now = int(time.time()) if now is None else now
    tables = ((VideoInfo, INFO_FIELDS), (VideoStat, STAT_FIELDS), (AcademyArchive, ARCHIVE_FIELDS))
    done = 0
    chunks = _chunks(random.Random(seed), next_free_vid(), videos, now, _renderer())
    if connection.vendor != "sqlite":  # SQLite works in this process, mostly holding the GIL: a thread only contends
        chunks = _prefetched(chunks)
    for batches in chunks:
        with transaction.atomic(), connection.cursor() as cursor:
            for (model, fields), batch in zip(tables, batches, strict=True):
                _insert(cursor, model, fields, batch)
        done = min(done + CHUNK, videos)
        if on_progress:
            on_progress(done, videos)
    return done
