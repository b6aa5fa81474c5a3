from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


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
    def _daily_sums(self, domain, select, groupby=None):
        """``select`` over the daily figures in ``domain`` (crm.deal.analytics.figures: the sums and the
        pending differences, which add up), read as the current user: the access rights and record rules
        (Team Isolation, companies) of the reports apply."""
        query = self.env["crm.deal.analytics.figures"]._search(domain)
        sql = SQL("SELECT %s FROM %s WHERE %s", select, query.from_clause, query.where_clause)
        if groupby:
            # every fact counts one deal: a group whose pending differences cancel its sums holds nothing
            sql = SQL("%s GROUP BY %s HAVING SUM(deal_count) <> 0", sql, groupby)
        return self.env.execute_query(sql)

    @api.model
    def get_dashboard_data(self, date_from, date_to, team_id=False, user_id=False, source_id=False):
        """All the figures of the dashboard for the period and its previous period of the same length.

        Returns ``{"period", "kpis", "funnel", "conversion", "won_by_month", "cycle", "deal_size", "ranking",
        "new_clients_by_source", "cac_cltv"}``; each KPI has value, previous, change (%) and the crm.lead domain of
        its deals; each bar of the funnel and ranking has its crm.lead domain.

        The deal figures are read from the daily sums kept as deals change (crm.deal.analytics.daily), which
        give the same figures as the outcome, funnel and ranking reports over the same days: a period is a
        range of whole days (UTC, like the reports' period filter) and every filter is one of their keys.
        """
        start, end, previous_start, previous_end = self._dashboard_period(date_from, date_to)
        Outcome = self.env["crm.deal.outcome.report"]
        Funnel = self.env["crm.deal.funnel.report"]
        Ranking = self.env["crm.salesperson.ranking.report"]
        Cac = self.env["crm.cac.report"]
        for report in (Outcome, Funnel, Ranking, Cac, self.env["crm.deal.analytics.figures"]):
            report.check_access("read")
        # this transaction's own deal changes count
        self.env["crm.deal.analytics.daily"].sudo()._fold()
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
        deal_scope = [*scope, *source_scope]

        def days(kind, period_start, period_end):
            return [("kind", "=", kind), ("day", ">=", period_start), ("day", "<=", period_end)]

        # a figure without deals is False, as the reports' _read_group gives it
        def ratio(top, bottom, factor=1.0):
            return factor * float(top) / float(bottom) if bottom else False

        # the closed deals' figures of both periods, then the medians and percentile of their won deals
        sums = {
            current: row
            for current, *row in self._daily_sums(
                [*days("closed", previous_start, end), *deal_scope],
                SQL(
                    "day >= %s, SUM(won_amount), SUM(deal_count), SUM(won_count), SUM(lost_count), "
                    "SUM(closed_amount), SUM(cycle_seconds)",
                    start,
                ),
                SQL("1"),
            )
        }
        # shown for the current period only
        # the exact medians and percentile of the won deals' size and cycle (seconds), from their counts per value
        percentiles = (
            self.env["crm.deal.analytics.figures"]
            ._percentiles([("day", ">=", start), ("day", "<=", end), *deal_scope])
            .get((), {})
        )

        def in_days(seconds):
            return False if seconds is None else seconds / 86400.0

        def closed_figures(current):
            won, count, won_count, lost_count, closed, cycle = sums.get(current) or (None, 0, 0, 0, None, 0)
            return {
                "won_revenue": float(won or 0.0),
                "won_count": won_count or 0,
                "closed_count": count or 0,
                "win_rate": ratio(won_count, won_count + lost_count, 100.0),
                "win_rate_value": ratio(won, closed, 100.0) if won is not None else False,
                "deal_size": ratio(won, won_count),
                "deal_size_median": percentiles.get(("size", 0.5), False) if current else False,
                "cycle": ratio(cycle, won_count, 1 / 86400.0),
                "cycle_median": in_days(percentiles.get(("cycle", 0.5))) if current else False,
                "cycle_p90": in_days(percentiles.get(("cycle", 0.9))) if current else False,
            }

        current = closed_figures(True)
        previous = closed_figures(False)
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
        [(pipeline, weighted, open_count)] = self._daily_sums(
            [("kind", "=", "open"), *deal_scope], SQL("SUM(pipeline_value), SUM(weighted_value), SUM(deal_count)")
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
            {
                "key": "pipeline_value",
                "value": float(pipeline or 0.0),
                "previous": None,
                "change": None,
                "domain": open_domain,
            }
        )
        kpis.append(
            {
                "key": "weighted_value",
                "value": float(weighted or 0.0),
                "previous": None,
                "change": None,
                "domain": open_domain,
            }
        )

        # Funnel and conversion: deals that first reached each stage in the period.
        by_stage = {
            stage_id: row
            for stage_id, *row in self._daily_sums(
                [*days("stage", start, end), *deal_scope],
                SQL(
                    "stage_id, SUM(deal_count), SUM(stayed_count), SUM(advanced_count), SUM(strict_count), "
                    "SUM(advanced_strict_count), SUM(days_sum), SUM(days_count)"
                ),
                SQL("stage_id"),
            )
        }
        funnel = []
        for stage in self.env["crm.stage"].browse(list(by_stage)).sorted():
            count, stayed, advanced, strict, advanced_strict, days_sum, days_count = by_stage[stage.id]
            funnel.append(
                {
                    "stage_id": stage.id,
                    "stage": stage.display_name,
                    "count": count,
                    "stayed": stayed,
                    "conversion": ratio(advanced, count, 100.0),
                    "conversion_strict": ratio(advanced_strict, strict, 100.0),
                    "days_cumulative": ratio(days_sum, days_count),
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
                "won_revenue": float(won or 0.0),
                "win_rate": ratio(won_count, won_count + lost_count, 100.0),
                "domain": [
                    *lead_scope,
                    ("stage_id.is_won", "=", True),
                    ("date_closed", ">=", month),
                    ("date_closed", "<", month + relativedelta(months=1)),
                ],
            }
            for month, won, won_count, lost_count in sorted(
                self._daily_sums(
                    [*days("closed", start, end), *deal_scope],
                    SQL("date_trunc('month', day)::date, SUM(won_amount), SUM(won_count), SUM(lost_count)"),
                    SQL("1"),
                )
            )
        ]

        # Ranking: won revenue per salesperson, previous period beside. The owner credited is the one
        # the ranking report credits (the stage summary's snapshot kept on the deal); no source filter.
        previous_won = {
            user_id: float(won or 0.0)
            for user_id, won in self._daily_sums(
                [*days("rank_closed", previous_start, previous_end), *scope],
                SQL("user_id, SUM(won_amount)"),
                SQL("user_id"),
            )
        }
        ranked = {}
        for user_id, won, won_count, lost_count, cycle in self._daily_sums(
            [*days("rank_closed", start, end), *scope, ("user_id", "!=", False)],
            SQL("user_id, SUM(won_amount), SUM(won_count), SUM(lost_count), SUM(cycle_seconds)"),
            SQL("user_id"),
        ):
            ranked[user_id] = {
                "won_revenue": float(won or 0.0),
                "win_rate": ratio(won_count, won_count + lost_count, 100.0),
                "cycle": ratio(cycle, won_count, 1 / 86400.0),
            }
        created = dict(
            self._daily_sums(
                [*days("rank_created", start, end), *scope, ("user_id", "!=", False)],
                SQL("user_id, SUM(deal_count)"),
                SQL("user_id"),
            )
        )
        # activities done are no deal change: read from the ranking report's activity events alone
        activities = {
            user.id: count
            for user, count in Ranking._read_group(
                [*scope, ("activity_count", "=", 1), ("date", ">=", low), ("date", "<", high)]
                + [("user_id", "!=", False)],
                groupby=["user_id"],
                aggregates=["activity_count:sum"],
            )
        }
        empty = {"won_revenue": 0.0, "win_rate": False, "cycle": False}
        top = sorted(
            set(ranked) | set(created) | set(activities),
            key=lambda uid: (-ranked.get(uid, empty)["won_revenue"], uid),
        )[:10]
        users = self.env["res.users"].browse(top)
        ranking = [
            {
                "user_id": user.id,
                "user": user.display_name,
                **ranked.get(user.id, empty),
                "previous_won_revenue": previous_won.get(user.id, 0.0),
                "created": created.get(user.id, 0),
                "activities": activities.get(user.id, 0),
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
            for user in users
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
            "deal_size": {key: current[key] for key in ("deal_size", "deal_size_median")},
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
