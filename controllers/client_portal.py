import csv
import io
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route
from odoo.tools import plaintext2html

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
                "orders": client._crm_portal_orders(),
                "deals": client._crm_portal_deals(),
                "date_from": fields.Date.to_string(start),
                "date_to": fields.Date.to_string(end),
                "date_error": error,
                **self._crm_portal_case_values(client, kw),
            }
        )
        return request.render("crm_client_suite.portal_my_client", values)

    # After-sales cases ---------------------------------------------------------

    CASE_SUBJECT_MAX = 200

    def _crm_portal_case_errors(self):
        env = request.env
        return {
            "subject": env._("Enter a subject for your case."),
            "subject_length": env._(
                "Keep the subject under %(count)s characters; put the details in the description.",
                count=self.CASE_SUBJECT_MAX,
            ),
            "type": env._("Choose the type of your case."),
            "priority": env._("Choose the priority of your case."),
        }

    def _crm_portal_case_values(self, client, kw):
        Case = request.env["crm.case"]
        return {
            "cases": client._crm_portal_open_cases(),
            "case_types": Case._fields["case_type"]._description_selection(request.env),
            "case_priorities": Case._fields["priority"]._description_selection(request.env),
            "case_error": self._crm_portal_case_errors().get(kw.get("case_error")),
            "case_created": kw.get("case_created"),
        }

    def _crm_portal_case_form_error(self, post):
        name = (post.get("name") or "").strip()
        if not name:
            return "subject"
        if len(name) > self.CASE_SUBJECT_MAX:
            return "subject_length"
        Case = request.env["crm.case"]
        if post.get("case_type") not in dict(Case._fields["case_type"].selection):
            return "type"
        if post.get("priority", "1") not in dict(Case._fields["priority"].selection):
            return "priority"
        return None

    @route("/my/client/cases", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_client_case_create(self, **post):
        """A contact opens a case for its own client. The client and the
        contact come from the logged-in user, never from the form."""
        client = self._crm_portal_client()
        if not client:
            return request.redirect("/my")
        error = self._crm_portal_case_form_error(post)
        if error:
            return request.redirect(f"/my/client?case_error={error}#crm_client_cases")
        contact = request.env.user.partner_id
        (
            request.env["crm.case"]
            .sudo()
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "name": post["name"].strip(),
                    "description": plaintext2html(post.get("description") or ""),
                    "case_type": post["case_type"],
                    "priority": post.get("priority", "1"),
                    "partner_id": client.id,
                    "contact_id": contact.id,
                    "company_id": client.company_id.id or request.env.company.id,
                }
            )
        )
        return request.redirect("/my/client?case_created=1#crm_client_cases")

    @route("/my/client/cases/<int:case_id>", type="http", auth="public", website=True)
    def portal_my_client_case(self, case_id, access_token=None, **kw):
        try:
            case = self._document_check_access("crm.case", case_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "crm_case", "case": case, "object": case, "token": access_token})
        return request.render("crm_client_suite.portal_my_client_case", values)

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
