from odoo import api, models


class ReportCrmAnalyticsDashboard(models.AbstractModel):
    """The PDF of the sales dashboard: the figures of ``crm.analytics.dashboard.get_dashboard_data``
    for a period and filters, read as the user who prints (its access and Team Isolation apply)."""

    _name = "report.crm_client_suite.report_analytics_dashboard"
    _description = "Sales Dashboard PDF"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        Dashboard = self.env["crm.analytics.dashboard"]
        if not data.get("date_from") or not data.get("date_to"):
            data = {**data, **dict(zip(("date_from", "date_to"), map(str, Dashboard._default_period()), strict=True))}
        figures = Dashboard.get_dashboard_data(
            data["date_from"],
            data["date_to"],
            team_id=data.get("team_id") or False,
            user_id=data.get("user_id") or False,
            source_id=data.get("source_id") or False,
        )
        filters = [
            (label, self.env[model].browse(data[key]).exists().display_name)
            for key, model, label in (
                ("team_id", "crm.team", self.env._("Sales Team")),
                ("user_id", "res.users", self.env._("Salesperson")),
                ("source_id", "utm.source", self.env._("Source")),
            )
            if data.get(key)
        ]
        return {
            "doc_ids": docids,
            "doc_model": "crm.analytics.dashboard",
            "docs": self.env["crm.analytics.dashboard"],
            "figures": figures,
            "filters": filters,
            "kpi_labels": Dashboard._kpi_labels(),
            "company": self.env.company,
            "currency": self.env.company.currency_id,
        }
