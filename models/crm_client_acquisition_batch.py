from contextlib import contextmanager

from odoo import models

# Key of the cursor's cache holding the client ids whose refresh a batch defers.
BATCH_KEY = "crm_client_acquisition_batches"


class CrmClientAcquisition(models.Model):
    """One refresh of the acquisition tables for a batch of writes.

    Each ``write`` of a contact's client refreshes the tables for the
    clients it touched: one DELETE and one INSERT per table, and a flush of
    the contacts, per written contact when an import writes each contact
    with its own values. Inside ``_batch()`` the refreshes of known clients
    are collected and run once when the block ends; if the block raises,
    nothing is refreshed (its changes roll back with it). A full refresh
    (``client_ids=None``) is never deferred.
    """

    _inherit = "crm.client.acquisition"

    @contextmanager
    def _batch(self):
        batches = self.env.cr.cache.setdefault(BATCH_KEY, [])
        pending = set()
        batches.append(pending)
        try:
            yield
        finally:
            batches.remove(pending)
        if pending:
            self._refresh(sorted(pending))

    def _refresh(self, client_ids=None):
        batches = self.env.cr.cache.get(BATCH_KEY)
        if batches and client_ids is not None:
            batches[-1].update(client_id for client_id in client_ids if client_id)
            return None
        return super()._refresh(client_ids)
