from odoo import api, fields, models
from odoo.exceptions import UserError

# The entries one PDF holds at most; a longer period is cut, and says so.
MAX_EXPORT_ENTRIES = 2000
EXPORT_PAGE = 200


class CrmTimelineExport(models.TransientModel):
    """The period of a timeline's PDF export."""

    _name = "crm.timeline.export"
    _description = "Timeline PDF Export"

    partner_id = fields.Many2one("res.partner", string="Client or Contact", required=True, ondelete="cascade")
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.start_of(fields.Date.context_today(self), "year")
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for export in self:
            if export.date_from > export.date_to:
                raise UserError(self.env._("The period of the export ends before it starts."))

    def action_print(self):
        self.ensure_one()
        return self.env.ref("crm_client_suite.action_report_crm_timeline").report_action(
            self.partner_id,
            data={
                "partner_ids": self.partner_id.ids,
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
            },
        )


class ReportCrmTimeline(models.AbstractModel):
    """The timeline of one client or contact over one period, for the PDF."""

    _name = "report.crm_client_suite.report_crm_timeline"
    _description = "Timeline Report"

    @api.model
    def _entries(self, partner, date_from, date_to):
        """(entries, cut): all entries of the period, newest first, at most
        MAX_EXPORT_ENTRIES; ``cut`` when there were more."""
        Timeline = self.env["crm.timeline"]
        filters = {"date_from": date_from, "date_to": date_to}
        entries, has_more = [], True
        while has_more and len(entries) < MAX_EXPORT_ENTRIES:
            page = Timeline.get_page(
                partner.id, filters, offset=len(entries), limit=min(EXPORT_PAGE, MAX_EXPORT_ENTRIES - len(entries))
            )
            entries += page["entries"]
            has_more = page["has_more"]
        return entries[:MAX_EXPORT_ENTRIES], has_more or len(entries) > MAX_EXPORT_ENTRIES

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        partners = self.env["res.partner"].browse(data.get("partner_ids") or docids)
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date(data.get("date_from")) or fields.Date.start_of(today, "year")
        date_to = fields.Date.to_date(data.get("date_to")) or today
        if date_from > date_to:
            raise UserError(self.env._("The period of the export ends before it starts."))
        labels = dict(self.env["crm.timeline"].get_entry_types())
        timelines = {}
        for partner in partners:
            entries, cut = self._entries(partner, date_from, date_to)
            for entry in entries:
                entry["date"] = fields.Datetime.to_datetime(entry["date"])
            timelines[partner.id] = {"entries": entries, "cut": cut}
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "date_from": date_from,
            "date_to": date_to,
            "timelines": timelines,
            "type_labels": labels,
            "cut_notice": self.env._(
                "Only the latest %(count)s entries of the period are shown; export a shorter period for the rest.",
                count=MAX_EXPORT_ENTRIES,
            ),
        }
