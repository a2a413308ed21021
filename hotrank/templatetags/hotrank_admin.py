"""Template tags of the admin index (the operators' dashboard)."""

from django import template

from hotrank.selectors import dashboard_summary

register = template.Library()


@register.simple_tag
def hotrank_dashboard():
    """Counts, the last run and the top 10 now (see hotrank.selectors.dashboard_summary)."""
    return dashboard_summary()
