import factory

from hotrank.models import AcademyArchive
from videos.models import VideoInfo, VideoStat

NOW = 1_764_000_000  # a fixed "now" so scores are reproducible


class VideoInfoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoInfo

    vid = factory.Sequence(lambda n: 10_000 + n)
    title = factory.Sequence(lambda n: f"video {n}")
    cover = factory.Sequence(lambda n: f"https://i0.hdslb.com/bfs/archive/{n}.jpg")
    author_id = factory.Sequence(lambda n: 500 + n % 7)
    author_name = factory.Sequence(lambda n: f"author {n % 7}")
    region_id = factory.Sequence(lambda n: 1 + n % 4)
    duration = 300
    pub_time = NOW - 7 * 86400


class VideoStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoStat

    vid = factory.Sequence(lambda n: 10_000 + n)
    view = 1000
    like_count = 100
    coin = 10
    fav = 20
    share = 5
    reply = 7
    danmaku = 30


class AcademyArchiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcademyArchive

    oid = factory.Sequence(lambda n: 10_000 + n)
    region_id = 1
    pub_time = NOW - 7 * 86400
