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

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._crm_send_time_invoices()
        return posted

    def _crm_send_time_invoices(self):
        """Queue the posted invoices from time for Odoo's own sending
        (``account.move.send``, run by its cron in the background, PDF
        included) to the invoicing contact, where the company asks for it."""
        invoices = self.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.state == "posted"
            and m.crm_time_period_end
            and m.company_id.crm_invoice_send_on_post
            and not m.sending_data
        )
        if not invoices:
            return
        without_email = invoices.filtered(lambda m: not m.partner_id.email)
        for move in without_email:
            move.message_post(
                body=self.env._(
                    "This invoice was not emailed: its invoicing contact %(contact)s has no email address.",
                    contact=move.partner_id.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        # What the Send wizard stores for sending in the background; the cron
        # then takes the invoicing contact's own sending preferences (email
        # unless it chose otherwise) and the invoice template's recipients
        # (the invoicing contact).
        (invoices - without_email).sending_data = {
            "author_user_id": self.env.user.id,
            "author_partner_id": self.env.user.partner_id.id,
        }
        if invoices - without_email:
            self.env.ref("account.ir_cron_account_move_send")._trigger()

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
