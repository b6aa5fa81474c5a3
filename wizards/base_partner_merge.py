from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        # Merging edits the kept partner and deletes the others: the user must
        # hold both rights on them before anything moves.
        partners = self.env["res.partner"].browse(partner_ids)
        partners.check_access("write")
        (partners - (dst_partner or partners.browse())).check_access("unlink")
        # the deals of the merged partners move to the kept one in SQL: fold their clients again
        clients = set(partners.commercial_partner_id.ids)
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        self.env["crm.client.acquisition"].sudo()._refresh(clients)
        # the contacts of the merged partners move to the kept one in SQL: fold it and its contacts again
        self.env["crm.contact.analytics"]._mark(partner_ids)
        # their outreach moves to the kept one in SQL too: its client follows, and the counts
        kept = partners.exists()
        Outreach = self.env["crm.outreach"].sudo()
        moved = Outreach.search([("partner_id", "in", kept.ids)])
        self.env.add_to_compute(Outreach._fields["client_id"], moved)
        self.env["res.partner"]._crm_mark_touch_counts((kept | kept.commercial_partner_id).ids + list(clients))
        return res

    def _update_values(self, src_partners, dst_partner):
        """Odoo keeps the scalar and many2one custom fields; also keep the
        union of the tags custom fields (many2many), which it skips."""
        tags = [
            name
            for name in self.env["crm.custom.field"]._for_model("res.partner").mapped("field_name")
            if dst_partner._fields.get(name) and dst_partner._fields[name].type == "many2many"
        ]
        merged = {name: (src_partners | dst_partner).mapped(name) for name in tags}
        # The source partners are deleted right after: their values may move
        # to the destination even when the field must be unique.
        # Odoo copies every field of the partners, including fields restricted
        # to other apps' groups (e.g. Invoicing's credit limit) that a CRM user
        # merging contacts may not read. ``_merge`` checked the user's right to
        # merge these partners: copy with full rights.
        res = super(BasePartnerMergeAutomaticWizard, self.sudo())._update_values(
            src_partners.sudo(), dst_partner.sudo().with_context(crm_custom_field_merge=True)
        )
        for name, options in merged.items():
            dst_partner[name] = options
        return res
