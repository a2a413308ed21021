"""Small presentation helpers shared by the apps' admin modules (no business logic here)."""

import datetime

from django.contrib.admin.models import CHANGE, LogEntry
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
