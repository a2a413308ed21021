"""Small presentation helpers shared by the apps' admin modules (no business logic here)."""

import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.utils import timezone
from django.utils.html import format_html


def log_curation(request, objects, message: str, *, action_flag: int = CHANGE) -> None:
    """One admin history entry per object, naming what the curation action did."""
    objects = list(objects)
    if objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=objects, action_flag=action_flag, change_message=message
        )


def thumbnail(url: str, *, title: str = "", hue: int = 210):
    """A small cover; a coloured box shows through when the image is missing or blocked."""
    box = (
        "display:inline-block;position:relative;width:64px;height:40px;border-radius:3px;overflow:hidden;"
        f"vertical-align:middle;background:hsl({hue % 360} 35% 72%)"
    )
    if not url:
        return format_html('<span style="{}" title="{}"></span>', box, title)
    return format_html(
        '<span style="{}"><img src="{}" alt="" title="{}" loading="lazy" referrerpolicy="no-referrer" '
        'onerror="this.remove()" style="position:absolute;inset:0;width:100%;height:100%;object-fit:cover"></span>',
        box, url, title,
    )  # fmt: skip


def unix_datetime(ts: int | None) -> str:
    """Unix seconds as a readable local date and time ("—" when unset)."""
    if not ts:
        return "—"
    moment = timezone.localtime(datetime.datetime.fromtimestamp(ts, tz=datetime.UTC))
    return moment.strftime("%Y-%m-%d %H:%M")


class RankedChangeList(ChangeList):
    """A changelist that sets `rank` on its page's rows with one more query (hotrank.selectors.archive_ranks).

    The model admin's `rank_key(row)` gives (archive id, business, hot) of a row
    whose archive is eligible, or None.
    """

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)  # evaluates the page once; the template and a list_editable formset reuse it
        for row, rank in zip(rows, rows_ranks(rows, self.model_admin.rank_key), strict=True):
            row.rank = rank


def rows_ranks(rows, rank_key) -> list[int | None]:
    """Ranks of `rows` (None where rank_key says the row is not ranked), in one query."""
    from hotrank.selectors import archive_ranks

    keys = [rank_key(row) for row in rows]
    ranks = archive_ranks(keys=[key for key in keys if key is not None])
    return [ranks.get(key[0]) if key is not None else None for key in keys]


def rank_text(rank: int | None) -> str:
    from hotrank.selectors import RANK_CAP

    if rank is None:
        return "—"
    return f"> {RANK_CAP:,}" if rank > RANK_CAP else str(rank)
