from odoo import api, fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    crm_timesheet_ids = fields.One2many("account.analytic.line", "crm_invoice_line_id", string="Billed Time")


class AccountMove(models.Model):
    _inherit = "account.move"

    crm_time_period_start = fields.Date(string="Time From", readonly=True, copy=False)
    crm_time_period_end = fields.Date(string="Time Until", readonly=True, copy=False)
    crm_timesheet_count = fields.Integer(string="Billed Time Entries", compute="_compute_crm_timesheet_count")

    @api.depends("line_ids.crm_timesheet_ids")
    def _compute_crm_timesheet_count(self):
        counts = dict(
            self.env["account.analytic.line"]._read_group(
                [("crm_invoice_line_id.move_id", "in", self.ids)], ["crm_invoice_id"], ["__count"]
            )
        )
        for move in self:
            move.crm_timesheet_count = counts.get(move, 0)

    def button_cancel(self):
        res = super().button_cancel()
        # A cancelled invoice bills nothing: its time goes to the next run.
        self._crm_free_timesheets()
        return res

    def unlink(self):
        # The foreign key would free the time too; doing it here keeps the
        # ORM's cache and the lock check of the timesheets in the loop.
        self._crm_free_timesheets()
        return super().unlink()

    def _crm_free_timesheets(self):
        timesheets = self.sudo().line_ids.crm_timesheet_ids
        if timesheets:
            timesheets.write({"crm_invoice_line_id": False})

    def action_crm_view_timesheets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_client_time")
        action["domain"] = [("crm_invoice_line_id.move_id", "=", self.id)]
        action["context"] = {"search_default_groupby_project": 1}
        return action

    def _crm_portal_pay_url(self):
        """The stock portal page of the invoice, opened at its payment form
        (shown there when ``account_payment`` is installed and a provider is
        configured). ``get_portal_url`` would write a missing access token,
        which the read-only client home cannot: the logged-in contact needs
        none, so the plain URL serves then."""
        self.ensure_one()
        if self.access_token:
            return self.get_portal_url(anchor="portal_pay", query_string="&payment=True")
        return f"{self.access_url}?payment=True#portal_pay"
