from odoo import api, models

# The bus channel of a contact's or client's timeline is (partner, BUS_SUBCHANNEL);
# a browser asks for it as "crm_client_suite.timeline_<partner id>" (see ir_websocket.py).
BUS_SUBCHANNEL = "crm_timeline"
BUS_CHANNEL_PREFIX = "crm_client_suite.timeline_"
BUS_NOTIFICATION = "crm_client_suite.timeline_changed"
PENDING = "crm_client_suite.timeline_changed"


class CrmTimeline(models.AbstractModel):
    """Live timelines: the forms open in other browsers learn that an entry
    was added, changed or removed.

    Changes only collect the records they touched; before the transaction
    commits, one bus notification goes to each contact and client whose
    timeline shows them (a deal's contact, a contact's client and theirs, up
    the hierarchy), however many entries the transaction wrote.
    """

    _inherit = "crm.timeline"

    @api.model
    def _crm_live_changed(self, documents):
        """Note that the timelines showing ``documents`` (pairs of model and
        id: contacts, clients and deals) changed in this transaction."""
        documents = {(model, res_id) for model, res_id in documents if model in ("res.partner", "crm.lead") and res_id}
        if not documents:
            return
        precommit = self.env.cr.precommit
        if PENDING not in precommit.data:
            precommit.data[PENDING] = set()
            precommit.add(self._crm_live_send)
        precommit.data[PENDING].update(documents)

    @api.model
    def _crm_live_partners(self, documents):
        """The contacts and clients whose timelines show ``documents``."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        partners = Partner.browse({res_id for model, res_id in documents if model == "res.partner"})
        partners |= Lead.browse({res_id for model, res_id in documents if model == "crm.lead"}).exists().partner_id
        # a client's timeline holds its contacts' entries, whatever the depth:
        # up the hierarchy, one read per level
        result = level = partners.exists()
        while level := level.parent_id - result:
            result |= level
        return result.sorted("id")

    def _crm_live_send(self):
        documents = self.env.cr.precommit.data.pop(PENDING, set())
        Bus = self.env["bus.bus"].sudo()
        # the payload says only which timeline: the browser reloads it with
        # the reader's own rights
        for partner in self._crm_live_partners(documents):
            Bus._sendone((partner, BUS_SUBCHANNEL), BUS_NOTIFICATION, {"partner_id": partner.id})


class CrmTimelineLiveMixin(models.AbstractModel):
    """For the models whose records are timeline entries: a change tells the
    timelines showing it (``crm.timeline._crm_live_changed``)."""

    _name = "crm.timeline.live.mixin"
    _description = "Timeline Entry Source"

    # fields whose write changes the entry; None: any field
    _crm_live_fields = None

    def _crm_live_documents(self):
        """[(model, id)] of the contacts, clients and deals these entries
        belong to."""
        return []

    def _crm_live_notify(self):
        self.env["crm.timeline"]._crm_live_changed(self.sudo()._crm_live_documents())

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._crm_live_notify()
        return records

    def write(self, vals):
        watched = self._crm_live_fields is None or not set(vals).isdisjoint(self._crm_live_fields)
        if watched:
            # an entry moved to another record leaves the first one's timeline
            self._crm_live_notify()
        result = super().write(vals)
        if watched:
            self._crm_live_notify()
        return result

    def unlink(self):
        self._crm_live_notify()
        return super().unlink()
