import csv
import io
from datetime import timedelta

from odoo import fields
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class CrmClientPortal(CustomerPortal):
    """/my/client: one home for the portal contacts of a client."""

    def _crm_portal_client(self):
        """The client of the portal user, or None: only a contact of a client
        company gets the client home."""
        user = request.env.user
        client = user.partner_id.commercial_partner_id
        if not user._is_portal() or not client.is_company or client == user.partner_id:
            return None
        return client.sudo()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "crm_client_project_count" in counters:
            client = self._crm_portal_client()
            values["crm_client_project_count"] = client._crm_portal_project_count() if client else 0
        return values

    def _crm_portal_period(self, date_from, date_to):
        """The period asked for, else the last 30 days; an unreadable date
        falls back to the default and says so."""
        today = fields.Date.context_today(request.env.user)
        error = False
        try:
            start = fields.Date.to_date(date_from) if date_from else today - timedelta(days=29)
            end = fields.Date.to_date(date_to) if date_to else today
        except ValueError:
            start, end = today - timedelta(days=29), today
            error = request.env._("Enter the dates as YYYY-MM-DD: showing the last 30 days.")
        if start > end:
            start, end = end, start
        return start, end, error

    @route("/my/client", type="http", auth="user", website=True, readonly=True)
    def portal_my_client(self, date_from=None, date_to=None, **kw):
        client = self._crm_portal_client()
        if not client:
            return request.redirect("/my")
        start, end, error = self._crm_portal_period(date_from, date_to)
        values = self._prepare_portal_layout_values()
        invoices = client._crm_portal_invoices()
        values.update(
            {
                "page_name": "crm_client",
                "client": client,
                "projects": client._crm_portal_projects(),
                "time_summary": client._crm_portal_time_summary(start, end),
                "invoices": invoices,
                "payable_invoices": client._crm_portal_payable(invoices),
                "can_pay_online": client._crm_portal_payment_provider(),
                "deals": client._crm_portal_deals(),
                "date_from": fields.Date.to_string(start),
                "date_to": fields.Date.to_string(end),
                "date_error": error,
            }
        )
        return request.render("crm_client_suite.portal_my_client", values)

    @route("/my/client/time.csv", type="http", auth="user", readonly=True)
    def portal_my_client_time_csv(self, date_from=None, date_to=None, **kw):
        client = self._crm_portal_client()
        if not client:
            return request.redirect("/my")
        start, end, _error = self._crm_portal_period(date_from, date_to)
        env = request.env
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                env._("Date"),
                env._("Project"),
                env._("Task"),
                env._("Team Member"),
                env._("Description"),
                env._("Hours"),
            ]
        )
        writer.writerows(client._crm_portal_time_rows(start, end))
        filename = f"time_{fields.Date.to_string(start)}_{fields.Date.to_string(end)}.csv"
        return request.make_response(
            out.getvalue().encode("utf-8-sig"),
            headers=[
                ("Content-Type", "text/csv; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="{filename}"'),
            ],
        )
