from odoo import api, models

from .crm_analytics_report_mixin import DailyRoute

# The deal outcome report's groupings the daily figures (crm.deal.analytics.daily) are keyed by, under
# the same name: today's salesperson, team, company and source of the deal.
DAILY_GROUPINGS = frozenset(("user_id", "team_id", "company_id", "source_id", "deal_team_id"))
# The measures of the closed deals (kind "closed" by closing day; the medians and percentile from the
# won deals' counts per size and per cycle), each as the figures it is computed from.
CLOSED_AGGREGATES = {
    "__count": ("deal_count",),
    "deal_count:sum": ("deal_count",),
    "won_count:sum": ("won_count",),
    "lost_count:sum": ("lost_count",),
    "won_amount:sum": ("won_amount",),
    "win_rate:avg": ("won_count", "lost_count"),
    "win_rate_value:avg": ("won_amount", "closed_amount"),
    "deal_size:avg": ("won_amount", "won_count"),
    "cycle_days:avg": ("cycle_seconds", "won_count"),
    "deal_size_median:avg": (("size", 0.5),),
    "cycle_median:avg": (("cycle", 0.5),),
    "cycle_p90:avg": (("cycle", 0.9),),
    "velocity:avg": ("deal_count", "won_count", "lost_count", "won_amount", "cycle_seconds"),
}
OPEN_DEALS = (("outcome", "=", "open"),)
# The measures of the open deals (kind "open", by expected closing day): pipeline and forecast.
OPEN_AGGREGATES = {
    "__count": ("deal_count",),
    "deal_count:sum": ("deal_count",),
    "pipeline_value:sum": ("pipeline_value",),
    "weighted_value:sum": ("weighted_value",),
}


class CrmDealOutcomeReport(models.Model):
    """Deal outcomes answered from the dashboard's daily sums when they can be.

    * The closed deals of a period (a bound on Closed On among the filters): deals, won, lost, win rate
      by count and by value, won revenue, mean deal size and cycle, velocity, and the exact median deal
      size, median and 90th percentile cycle, from the won deals' counts per size and per cycle;
    * the open deals (the filter Outcome = Open): pipeline value and weighted forecast, by Expected
      Closing.

    Groupings and filters on today's salesperson, team, company and source, and the days of Closed On
    (in UTC) or Expected Closing. The figures carry the report's record rules. Any other read (the deal's
    stage, client, country, lost reason, a custom field ...) runs the report's query.
    """

    _inherit = "crm.deal.outcome.report"

    @api.model
    def _daily_routes(self):
        return [
            DailyRoute("closed", DAILY_GROUPINGS, CLOSED_AGGREGATES, date_field="date_closed", bounded=True),
            DailyRoute("open", DAILY_GROUPINGS, OPEN_AGGREGATES, date_field="date_deadline", required=OPEN_DEALS),
        ]

    @api.model
    def _daily_aggregate(self, spec, figures, now):
        def ratio(numerator, denominator, scale=1.0):
            return scale * numerator / denominator if denominator else False

        won, lost = figures.get("won_count", 0), figures.get("lost_count", 0)
        if spec.endswith(":sum") or spec == "__count":
            return figures[{**CLOSED_AGGREGATES, **OPEN_AGGREGATES}[spec][0]]
        if spec == "win_rate:avg":
            return ratio(won, won + lost, 100.0)
        if spec == "win_rate_value:avg":
            return ratio(figures["won_amount"], figures["closed_amount"], 100.0)
        if spec == "deal_size:avg":
            return ratio(figures["won_amount"], won)
        if spec == "cycle_days:avg":
            return ratio(figures["cycle_seconds"], won, 1 / 86400.0)
        if spec == "deal_size_median:avg":
            return figures.get(("size", 0.5), False)
        if spec in ("cycle_median:avg", "cycle_p90:avg"):
            seconds = figures.get(CLOSED_AGGREGATES[spec][0], False)
            return seconds / 86400.0 if seconds is not False else False
        # velocity: open deals × mean won size × win rate ÷ mean cycle in days
        size = self._daily_aggregate("deal_size:avg", figures, now)
        cycle = self._daily_aggregate("cycle_days:avg", figures, now)
        if size is False or not cycle or not won + lost:
            return False
        return (figures["deal_count"] - won - lost) * size * won / (won + lost) / cycle
