from odoo import api, models

from .crm_analytics_report_mixin import DailyRoute

# The funnel's groupings the daily figures (crm.deal.analytics.daily, kind "stage") are keyed by,
# under the same name; date_first_in is their day.
DAILY_GROUPINGS = frozenset(("stage_id", "user_id", "team_id", "company_id", "source_id", "deal_team_id"))
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
    def _daily_routes(self):
        return [DailyRoute("stage", DAILY_GROUPINGS, DAILY_AGGREGATES, date_field="date_first_in")]

    @api.model
    def _daily_aggregate(self, spec, figures, now):
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
