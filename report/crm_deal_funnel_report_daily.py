import datetime

import pytz

from odoo import api, fields, models
from odoo.osv import expression

# The funnel's groupings the daily figures (crm.deal.analytics.daily, kind "stage") are keyed by,
# under the same name; date_first_in is their day.
DAILY_GROUPINGS = frozenset(("stage_id", "user_id", "team_id", "company_id", "source_id", "deal_team_id"))
DAY_GRANULARITIES = frozenset(("day", "week", "month", "quarter", "year"))
# The funnel's measures that follow from the daily sums, each as the figures it is computed from.
DAILY_AGGREGATES = {
    "__count": ("deal_count",),
    "deal_count:sum": ("deal_count",),
    "stayed_count:sum": ("stayed_count",),
    "advanced_count:sum": ("advanced_count",),
    "conversion:avg": ("advanced_count", "deal_count"),
    "conversion_strict:avg": ("advanced_strict_count", "strict_count"),
    "days_latest:avg": ("days_latest_sum", "days_count"),
    "days_cumulative:avg": ("days_sum", "days_count"),
    "days_latest_open:avg": ("days_latest_closed_sum", "open_count", "open_epoch_sum", "stayed_count"),
    "days_cumulative_open:avg": ("days_stayed_sum", "open_count", "open_epoch_sum", "stayed_count"),
}


class CrmDealFunnelReport(models.Model):
    """The funnel's grouped reads answered from the dashboard's daily sums when they can be.

    A read whose groupings, filters and measures are all among the daily figures' keys and sums
    (stage, salesperson, team, company, source, current team, first entry day) is read from
    crm.deal.analytics.figures (kind "stage": the folded sums plus the pending differences), a few
    thousand rows instead of one per deal and stage. The open stays' time follows from the current
    time, their count and the sum of their entry times. The figures carry the same record rules
    (Team Isolation on the deal's current team, company of the stage's snapshot). Any other read
    (a grouping on the deal, its client, a custom field, cumulative conversion ...) runs the report's
    query.
    """

    _inherit = "crm.deal.funnel.report"

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        result = None
        if not having and not self.env.context.get("crm_funnel_no_daily"):
            result = self._read_group_daily(domain, groupby, aggregates, offset=offset, limit=limit, order=order)
        if result is not None:
            return result
        return super()._read_group(domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order)

    def _daily_dates_exact(self):
        """Days of the figures are UTC days: a grouping by day, week ... is the report's in UTC only."""
        return self.env.context.get("tz") in (None, False, "UTC", "Etc/UTC", "GMT")

    def _daily_groupby(self, spec):
        """The figures' grouping for this report grouping, or None."""
        if spec in DAILY_GROUPINGS:
            return spec
        fname, _, granularity = spec.partition(":")
        if fname == "date_first_in" and granularity in DAY_GRANULARITIES and self._daily_dates_exact():
            return f"day:{granularity}"
        return None

    def _daily_domain(self, domain):
        """The figures' domain for this report domain, or None when a leaf is not on their keys. A bound on
        the first entry counts whole days: ``>=`` or ``<`` a midnight."""
        result = []
        for leaf in expression.normalize_domain(list(domain)):
            if not isinstance(leaf, list | tuple):
                result.append(leaf)
                continue
            if expression.is_boolean(leaf):
                result.append(leaf)
                continue
            path, operator, value = leaf
            fname = str(path).split(".")[0]
            if fname in DAILY_GROUPINGS:
                result.append(leaf)
                continue
            if path != "date_first_in" or operator not in (">=", "<") or not value:
                return None
            when = fields.Datetime.to_datetime(value)
            if when.time() != datetime.time():
                return None
            result.append(("day", operator, when.date()))
        return result

    def _read_group_daily(self, domain, groupby, aggregates, offset=0, limit=None, order=None):
        """The result of ``_read_group`` from the daily figures, or None when they cannot answer it."""
        daily_groupby = [self._daily_groupby(spec) for spec in groupby]
        if None in daily_groupby or any(spec not in DAILY_AGGREGATES for spec in aggregates):
            return None
        # the groups' order is the groupings' (names of the groupings only, in the figures' terms)
        daily_order = None
        if order:
            parts = []
            for part in order.split(","):
                words = part.split()
                if not words or words[0] not in groupby:
                    return None
                parts.append(" ".join([daily_groupby[list(groupby).index(words[0])], *words[1:]]))
            daily_order = ", ".join(parts)
        daily_domain = self._daily_domain(domain)
        if daily_domain is None:
            return None
        # the report's access right first: its refusal, not the figures'
        self.browse().check_access("read")
        Figures = self.env["crm.deal.analytics.figures"]
        sums = sorted({name for spec in aggregates for name in DAILY_AGGREGATES[spec]})
        rows = Figures._read_group(
            expression.AND([[("kind", "=", "stage")], daily_domain]),
            daily_groupby,
            [f"{name}:sum" for name in sums],
            # keys whose deals all left them hold nothing (not folded yet): no group, as in the report
            having=[("deal_count:sum", ">", 0)],
            offset=offset,
            limit=limit,
            order=daily_order,
        )
        now = fields.Datetime.now().replace(tzinfo=pytz.utc).timestamp()
        count = len(groupby)
        result = []
        for row in rows:
            keys = [
                datetime.datetime.combine(value, datetime.time()) if spec.startswith("day:") and value else value
                for spec, value in zip(daily_groupby, row[:count], strict=True)
            ]
            figures = dict(zip(sums, row[count:], strict=True))
            result.append((*keys, *(self._daily_aggregate(spec, figures, now) for spec in aggregates)))
        return result

    @api.model
    def _daily_aggregate(self, spec, figures, now):
        """A measure of the report from the summed figures of a group, ``now`` in seconds since the epoch."""

        def ratio(numerator, denominator, scale=1.0):
            return scale * numerator / denominator if denominator else False

        if spec in ("__count", "deal_count:sum", "stayed_count:sum", "advanced_count:sum"):
            return figures[DAILY_AGGREGATES[spec][0]]
        if spec == "conversion:avg":
            return ratio(figures["advanced_count"], figures["deal_count"], 100.0)
        if spec == "conversion_strict:avg":
            return ratio(figures["advanced_strict_count"], figures["strict_count"], 100.0)
        if spec == "days_latest:avg":
            return ratio(figures["days_latest_sum"], figures["days_count"])
        if spec == "days_cumulative:avg":
            return ratio(figures["days_sum"], figures["days_count"])
        open_days = (figures["open_count"] * now - figures["open_epoch_sum"]) / 86400
        finished = figures["days_latest_closed_sum" if spec == "days_latest_open:avg" else "days_stayed_sum"]
        return ratio(finished + open_days, figures["stayed_count"])
