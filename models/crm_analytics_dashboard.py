from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmAnalyticsDashboard(models.AbstractModel):
    """The figures of the sales dashboard, in one call.

    Every figure is a ``_read_group`` of one of the analytics reports, read as
    the current user: the reports' access rights (Managers and Admins) and
    record rules (Team Isolation) apply to each of them, and each figure comes
    with the domain of the deals behind it, for the dashboard to open.
    """

    _name = "crm.analytics.dashboard"
    _description = "Sales Dashboard"

    @api.model
    def _dashboard_period(self, date_from, date_to):
        start = fields.Date.to_date(date_from)
        end = fields.Date.to_date(date_to)
        if not start or not end or end < start:
            raise UserError(self.env._("Choose a period whose end is on or after its start."))
        length = (end - start).days + 1
        previous_end = start - timedelta(days=1)
        return start, end, previous_end - timedelta(days=length - 1), previous_end

    @staticmethod
    def _bounds(start, end):
        return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)

    @staticmethod
    def _change(value, previous):
        if not previous:
            return None
        return round(100.0 * (value - previous) / abs(previous), 1)

    @api.model
    def get_dashboard_data(self, date_from, date_to, team_id=False, user_id=False, source_id=False):
        """All the figures of the dashboard for the period and its previous period of the same length.

        Returns ``{"period", "kpis", "funnel", "conversion", "won_by_month", "cycle", "ranking",
        "new_clients_by_source", "cac_cltv"}``; each KPI has value, previous, change (%) and the crm.lead domain of
        its deals; each bar of the funnel and ranking has its crm.lead domain.
        """
        start, end, previous_start, previous_end = self._dashboard_period(date_from, date_to)
        Outcome = self.env["crm.deal.outcome.report"]
        Funnel = self.env["crm.deal.funnel.report"]
        Ranking = self.env["crm.salesperson.ranking.report"]
        Cac = self.env["crm.cac.report"]
        for report in (Outcome, Funnel, Ranking, Cac):
            report.check_access("read")
        scope = []
        lead_scope = [("type", "=", "opportunity")]
        if team_id:
            scope.append(("team_id", "=", team_id))
            lead_scope.append(("team_id", "=", team_id))
        if user_id:
            scope.append(("user_id", "=", user_id))
            lead_scope.append(("user_id", "=", user_id))
        source_scope = [("source_id", "=", source_id)] if source_id else []
        lead_scope += source_scope

        def closed_figures(period_start, period_end):
            low, high = self._bounds(period_start, period_end)
            domain = [*scope, *source_scope, ("date_closed", ">=", low), ("date_closed", "<", high)]
            [(won, count, rate, rate_value, size, median, cycle, cycle_median, cycle_p90, won_count)] = (
                Outcome._read_group(
                    domain,
                    aggregates=[
                        "won_amount:sum",
                        "deal_count:sum",
                        "win_rate:avg",
                        "win_rate_value:avg",
                        "deal_size:avg",
                        "deal_size_median:avg",
                        "cycle_days:avg",
                        "cycle_median:avg",
                        "cycle_p90:avg",
                        "won_count:sum",
                    ],
                )
            )
            return {
                "won_revenue": won or 0.0,
                "won_count": won_count or 0,
                "closed_count": count or 0,
                "win_rate": rate,
                "win_rate_value": rate_value,
                "deal_size": size,
                "deal_size_median": median,
                "cycle": cycle,
                "cycle_median": cycle_median,
                "cycle_p90": cycle_p90,
            }

        current = closed_figures(start, end)
        previous = closed_figures(previous_start, previous_end)
        low, high = self._bounds(start, end)
        closed_domain = [*lead_scope, ("date_closed", ">=", low), ("date_closed", "<", high)]
        won_domain = [*closed_domain, ("stage_id.is_won", "=", True), ("active", "=", True)]
        lead_domains = {
            "won_revenue": won_domain,
            "won_count": won_domain,
            "win_rate": [*closed_domain, ("active", "in", [True, False])],
            "deal_size": won_domain,
            "cycle": won_domain,
        }
        [(pipeline, weighted, open_count)] = Outcome._read_group(
            [*scope, *source_scope, ("outcome", "=", "open")],
            aggregates=["pipeline_value:sum", "weighted_value:sum", "deal_count:sum"],
        )
        kpis = [
            {
                "key": key,
                "value": current[key],
                "previous": previous[key],
                "change": self._change(current[key] or 0.0, previous[key] or 0.0),
                "domain": lead_domains[key],
            }
            for key in ("won_revenue", "won_count", "win_rate", "deal_size", "cycle")
        ]
        open_domain = [*lead_scope, ("stage_id.is_won", "=", False), ("active", "=", True)]
        kpis.append(
            {"key": "pipeline_value", "value": pipeline or 0.0, "previous": None, "change": None, "domain": open_domain}
        )
        kpis.append(
            {"key": "weighted_value", "value": weighted or 0.0, "previous": None, "change": None, "domain": open_domain}
        )

        # Funnel and conversion: deals that first reached each stage in the period.
        funnel_domain = [*scope, *source_scope, ("date_first_in", ">=", low), ("date_first_in", "<", high)]
        funnel = []
        for stage, count, stayed, conversion, strict, days in Funnel._read_group(
            funnel_domain,
            groupby=["stage_id"],
            aggregates=[
                "deal_count:sum",
                "stayed_count:sum",
                "conversion:avg",
                "conversion_strict:avg",
                "days_cumulative:avg",
            ],
            order="stage_id",
        ):
            funnel.append(
                {
                    "stage_id": stage.id,
                    "stage": stage.display_name,
                    "count": count,
                    "stayed": stayed,
                    "conversion": conversion,
                    "conversion_strict": strict,
                    "days_cumulative": days,
                    "domain": [
                        *lead_scope,
                        ("active", "in", [True, False]),
                        (
                            "crm_stage_summary_ids",
                            "any",
                            [("stage_id", "=", stage.id), ("date_first_in", ">=", low), ("date_first_in", "<", high)],
                        ),
                    ],
                }
            )

        # Won revenue and win rate by month of the period.
        won_by_month = [
            {
                "month": month.strftime("%Y-%m"),
                "won_revenue": won or 0.0,
                "win_rate": rate,
                "domain": [
                    *lead_scope,
                    ("stage_id.is_won", "=", True),
                    ("date_closed", ">=", month),
                    ("date_closed", "<", month + relativedelta(months=1)),
                ],
            }
            for month, won, rate in Outcome._read_group(
                [*scope, *source_scope, ("date_closed", ">=", low), ("date_closed", "<", high)],
                groupby=["date_closed:month"],
                aggregates=["won_amount:sum", "win_rate:avg"],
            )
        ]

        # Ranking: won revenue per salesperson, previous period beside.
        previous_low, previous_high = self._bounds(previous_start, previous_end)
        ranking_scope = [*scope]
        # only the won deals' events carry won revenue: the filter lets the database skip the others
        previous_won = {
            user.id: won
            for user, won in Ranking._read_group(
                [*ranking_scope, ("won_count", "=", 1), ("date", ">=", previous_low), ("date", "<", previous_high)],
                groupby=["user_id"],
                aggregates=["won_amount:sum"],
            )
        }
        ranking = [
            {
                "user_id": user.id,
                "user": user.display_name,
                "won_revenue": won or 0.0,
                "previous_won_revenue": previous_won.get(user.id, 0.0),
                "win_rate": rate,
                "cycle": cycle,
                "created": created,
                "activities": activities,
                # the deals won in the period while this salesperson owned them
                "domain": [
                    *won_domain,
                    (
                        "crm_stage_summary_ids",
                        "any",
                        [("user_id", "=", user.id), ("stage_id.is_won", "=", True), ("date_open_in", "!=", False)],
                    ),
                ],
            }
            for user, won, rate, cycle, created, activities in Ranking._read_group(
                [*ranking_scope, ("date", ">=", low), ("date", "<", high), ("user_id", "!=", False)],
                groupby=["user_id"],
                aggregates=[
                    "won_amount:sum",
                    "win_rate:avg",
                    "cycle_days:avg",
                    "created_count:sum",
                    "activity_count:sum",
                ],
                order="won_amount:sum desc",
                limit=10,
            )
        ]

        # New clients by source and CAC vs CLTV by month (team and source filters apply; a client
        # is attributed to its first won deal, so the salesperson filter does not).
        team_scope = [("team_id", "=", team_id)] if team_id else []
        cac_domain = [*team_scope, *source_scope, ("month", ">=", start.replace(day=1)), ("month", "<=", end)]
        new_clients_by_source = [
            {"source_id": source.id, "source": source.display_name or self.env._("No source"), "count": count}
            for source, count in Cac._read_group(
                [*cac_domain, ("new_clients", ">", 0)],
                groupby=["source_id"],
                aggregates=["new_clients:sum"],
                order="new_clients:sum desc",
            )
        ]
        cac_cltv = [
            {"month": month.strftime("%Y-%m"), "cac": cac, "cltv": cltv, "ltv_cac": ltv_cac}
            for month, cac, cltv, ltv_cac in Cac._read_group(
                cac_domain, groupby=["month:month"], aggregates=["cac:avg", "cltv:avg", "ltv_cac:avg"]
            )
        ]

        return {
            "period": {
                "date_from": fields.Date.to_string(start),
                "date_to": fields.Date.to_string(end),
                "previous_from": fields.Date.to_string(previous_start),
                "previous_to": fields.Date.to_string(previous_end),
            },
            "kpis": kpis,
            "open_count": open_count or 0,
            "funnel": funnel,
            "won_by_month": won_by_month,
            "cycle": {key: current[key] for key in ("cycle", "cycle_median", "cycle_p90")},
            "ranking": ranking,
            "new_clients_by_source": new_clients_by_source,
            "cac_cltv": cac_cltv,
        }

    @api.model
    def _kpi_labels(self):
        return {
            "won_revenue": self.env._("Won revenue"),
            "won_count": self.env._("Deals won"),
            "win_rate": self.env._("Win rate (%)"),
            "deal_size": self.env._("Average deal size"),
            "cycle": self.env._("Sales cycle (days)"),
            "pipeline_value": self.env._("Pipeline value"),
            "weighted_value": self.env._("Weighted forecast"),
        }

    @api.model
    def action_print_dashboard(self, date_from, date_to, team_id=False, user_id=False, source_id=False):
        """The PDF of the dashboard's figures for the period and filters."""
        self._dashboard_period(date_from, date_to)  # a clear error for a bad period, before printing
        self.env["crm.deal.outcome.report"].check_access("read")
        return self.env.ref("crm_client_suite.action_report_analytics_dashboard").report_action(
            None,
            data={
                "date_from": date_from,
                "date_to": date_to,
                "team_id": team_id,
                "user_id": user_id,
                "source_id": source_id,
            },
        )

    @api.model
    def _default_period(self):
        today = fields.Date.context_today(self)
        return date(today.year, today.month, 1), today
