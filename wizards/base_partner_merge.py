from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

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
        res = super()._update_values(src_partners, dst_partner.with_context(crm_custom_field_merge=True))
        for name, options in merged.items():
            dst_partner[name] = options
        return res
