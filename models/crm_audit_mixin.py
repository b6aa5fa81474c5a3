from contextlib import contextmanager

from odoo import api, fields, models, tools

from .crm_audit_log import dump_values

# Whether audited models write the log. Only the benchmark turns it off, in
# its own process, to measure the log's overhead: no context key or setting
# can, so neither RPC nor an Admin can write unlogged.
AUDIT = {"enabled": True}

# Fields never audited: bookkeeping of the ORM and of the chatter, secrets.
EXCLUDED_FIELDS = {
    "id",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
    "message_main_attachment_id",
    "message_bounce",
    "password",
    "signup_token",
    "calendar_last_notif_ack",
    # What the add-on keeps by itself from the outreach, batch by batch and
    # mostly in SQL: the last contacted date, the touch counts and the
    # inactivity flag. The events behind them are in the outreach and in the
    # inactivity rule's activities; logging the flag set (ORM) and not its
    # clearing (SQL) would tell half the story.
    "crm_last_contacted",
    "crm_touch_count_30",
    "crm_touch_count_90",
    "crm_inactive",
    "crm_inactive_since",
    "crm_inactivity_rule_id",
}

# Key of the cursor's cache (``cr.cache``, out of reach of RPC and context
# keys) holding the audit batches open on the cursor: see ``_crm_audit_batch``.
BATCH_KEY = "crm_audit_batches"


class CrmAuditMixin(models.AbstractModel):
    """Writes every create, write and unlink of the models inheriting it to
    the append-only audit log (crm.audit.log).

    Batched: whatever the number of records, an audited write takes the old
    and new values from the ORM's cache (fetching what it lacks in one
    query), names the linked records once per linked model, and appends all
    its rows in one COPY.
    """

    _name = "crm.audit.mixin"
    _description = "Audited Record"

    @api.model
    def _crm_audit_owner_domain(self):
        """The records of this model a Contributor owns, whose audit log the
        Contributor may read; none unless the model has a salesperson."""
        return [("user_id", "=", self.env.uid)] if "user_id" in self._fields else [("id", "=", 0)]

    @api.model
    def _crm_audit_fields(self, fnames):
        """The fields among ``fnames`` the audit log follows."""
        result = []
        for fname in fnames:
            field = self._fields.get(fname)
            if (
                field is None
                or fname in EXCLUDED_FIELDS
                or not field.store
                or field.type in ("binary", "one2many", "properties", "properties_definition")
                or fname.startswith(("message_", "activity_"))
            ):
                continue
            result.append(fname)
        return result

    def _crm_audit_snapshot(self, fnames):
        """{record id: {field: value}} of ``fnames`` and of the record's name,
        as the ORM's cache holds them (ids for links), current pending
        changes included. Values missing from the cache are fetched in one
        query for all records (plus one per many2many field); nothing is
        flushed, so audited writes keep the ORM's batching."""
        Model = self.sudo().with_context(active_test=False)
        rec_name = self._rec_name if self._rec_name in self._fields and self._fields[self._rec_name].store else None
        names = list(fnames) + ([rec_name] if rec_name and rec_name not in fnames else [])
        cache = self.env.cache
        audited = [Model._fields[fname] for fname in names]
        missing = {record_id for field in audited for record_id in cache.get_missing_ids(Model, field)}
        if missing:
            Model.browse(missing).fetch(names)
        snapshot = {record_id: {} for record_id in self._ids}
        for field in audited:
            # one pass over the field's cache, in the order of the records
            values = cache.get_until_miss(Model, field)
            if len(values) < len(self._ids):  # records gone meanwhile
                values = [cache.get(record, field, None) for record in Model]
            fname = field.name
            for record_id, value in zip(self._ids, values, strict=True):
                snapshot[record_id][fname] = value
        snapshot["__name__"] = rec_name
        return snapshot

    def _crm_audit_renderer(self, pairs):
        """A function rendering a raw value of a field as text, which names
        the linked records of ``pairs`` [(field name, raw value)] in one read
        per linked model."""
        linked = {}
        for fname, value in pairs:
            field = self._fields[fname]
            if field.type in ("many2one", "many2many") and value:
                linked.setdefault(field.comodel_name, set()).update(value if isinstance(value, tuple) else (value,))
        names = {}
        for comodel, ids in linked.items():
            records = self.env[comodel].sudo().with_context(active_test=False).browse(ids).exists()
            names[comodel] = dict(zip(records.ids, records.mapped("display_name"), strict=True))

        def converter(field):
            """How a non-empty raw value of ``field`` reads as text."""
            if field.type == "many2one":
                linked_names = names[field.comodel_name]
                return lambda value: linked_names.get(value) or f"#{value}"
            if field.type == "many2many":
                linked_names = names[field.comodel_name]
                return lambda value: ", ".join(linked_names.get(v) or f"#{v}" for v in value)
            if field.type == "selection":
                labels = dict(field._description_selection(self.env))
                return lambda value: str(labels.get(value, value))
            if field.type == "datetime":
                return fields.Datetime.to_string
            if field.type == "date":
                return fields.Date.to_string
            return str

        converters = {}

        def render(fname, value):
            if value is None or value is False or value == ():
                return None
            convert = converters.get(fname)
            if convert is None:
                convert = converters[fname] = converter(self._fields[fname])
            return convert(value)

        return render

    def _crm_audit_names(self, snapshot):
        """{record id: name} of the records of ``snapshot``: their stored
        name if the model has one (no compute for 10,000 records), else
        their display name."""
        name_field = snapshot["__name__"]
        if name_field:
            return {record_id: snapshot[record_id].get(name_field) for record_id in self._ids}
        records = self.sudo().with_context(active_test=False)
        return dict(zip(records._ids, records.mapped("display_name"), strict=True))

    def _crm_audit_rows(self, before, after, fnames):
        """(record id, name, field, old text, new text) of the fields of
        ``fnames`` whose value differs between the snapshots."""
        names = self._crm_audit_names(after or before)
        changes = []
        for record_id in self._ids:
            old = before.get(record_id, {}) if before else {}
            new = after.get(record_id, {}) if after else {}
            name = names[record_id]
            for fname in fnames:
                if old.get(fname) != new.get(fname):
                    changes.append((record_id, name, fname, old.get(fname), new.get(fname)))
        render = self._crm_audit_renderer(
            [(fname, value) for _id, _name, fname, old, new in changes for value in (old, new)]
        )
        return [
            (record_id, name, fname, render(fname, old), render(fname, new))
            for record_id, name, fname, old, new in changes
        ]

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if records and AUDIT["enabled"]:
            names = records._crm_audit_names(records._crm_audit_snapshot([]))
            rows = [(record.id, names[record.id], None, None, None) for record in records]
            self.env["crm.audit.log"]._insert(records, "create", rows)
        return records

    def _crm_audit_open_batch(self):
        """The audit batch open on the cursor for some of these records, and
        those of them it covers; (None, empty) if none."""
        for batch in self.env.cr.cache.get(BATCH_KEY, ()):
            if batch["model"] == self._name and not batch["ids"].isdisjoint(self._ids):
                return batch, self.browse([rid for rid in self._ids if rid in batch["ids"]])
        return None, self.browse()

    def _crm_audit_capture(self, batch, fnames):
        """Keep in ``batch`` the values of ``fnames`` of these records before
        the batch changes them: the first time a field of a record is
        written in the batch, later writes keep that first value."""
        before = batch["before"]
        missing = [fname for fname in fnames if any(fname not in before[rid] for rid in self._ids)]
        if not missing:
            return
        snapshot = self._crm_audit_snapshot(missing)
        for record_id in self._ids:
            for fname in missing:
                before[record_id].setdefault(fname, snapshot[record_id][fname])

    @contextmanager
    def _crm_audit_batch(self, fnames=()):
        """Log the writes of these records made inside the block as one
        batch: their old values read once for all records before the block
        (``fnames``; a field the block writes that is not among them is read
        when first written), their new values once after it, and one COPY,
        instead of the same for each ``write``. The import writes a batch of
        records, each with its own values, this way.

        The log is the one of a ``write`` per record, except that two writes
        of one field of one record inside the block log one change, from the
        value before the block to the value after it. Writes of other records
        inside the block are logged as usual. If the block raises, nothing is
        logged: its changes are expected to roll back with it.
        """
        if not self or not AUDIT["enabled"]:
            yield
            return
        batch = {"model": self._name, "ids": set(self._ids), "before": {rid: {} for rid in self._ids}}
        self._crm_audit_capture(batch, self._crm_audit_fields(fnames))
        batches = self.env.cr.cache.setdefault(BATCH_KEY, [])
        batches.append(batch)
        try:
            yield
        finally:
            batches.remove(batch)
        written = sorted({fname for values in batch["before"].values() for fname in values})
        if not written:
            return
        snapshot = self._crm_audit_snapshot(written)
        name = snapshot["__name__"]
        before, after = {"__name__": name}, {"__name__": name}
        for record_id, values in batch["before"].items():
            # A field another record wrote is unchanged on this one.
            current = snapshot[record_id]
            before[record_id] = {**current, **values}
            after[record_id] = current
        self.env["crm.audit.log"]._insert(self, "write", self._crm_audit_rows(before, after, written))

    def write(self, vals):
        if not self or not AUDIT["enabled"]:
            return super().write(vals)
        fnames = self._crm_audit_fields(vals)
        if not fnames:
            return super().write(vals)
        batch, batched = self._crm_audit_open_batch()
        if batch is not None:
            # The batch logs its records' changes when it closes.
            batched._crm_audit_capture(batch, fnames)
        records = self - batched
        if not records:
            return super().write(vals)
        before = records._crm_audit_snapshot(fnames)
        result = super().write(vals)
        after = records._crm_audit_snapshot(fnames)
        rows = records._crm_audit_rows(before, after, fnames)
        self.env["crm.audit.log"]._insert(records, "write", rows)
        return result

    @api.model
    @tools.ormcache()
    def _crm_audit_dependents(self):
        """((model, field, ondelete), ...) of the audited records pointing at
        this model through a stored many2one that the database cascades or
        clears when one of its records is deleted: the audit log would not
        see those changes."""
        return tuple(
            (model_name, field.name, field.ondelete)
            for model_name in self.env["crm.audit.log"]._audited_models()
            for field in self.env[model_name]._fields.values()
            if field.type == "many2one"
            and field.store
            and not field.compute
            and field.comodel_name == self._name
            and field.ondelete in ("cascade", "set null")
            and field.name in self.env[model_name]._crm_audit_fields([field.name])
        )

    def _crm_audit_release_dependents(self):
        """Before deleting self: delete, or clear the link of, the audited
        records the database would (a deal's stakeholders, a pipeline's
        steps, a client's contacts and deals), through the ORM, so that the
        log holds those changes too, by the same user."""
        for model_name, fname, ondelete in self._crm_audit_dependents():
            domain = [(fname, "in", self.ids)]
            if model_name == self._name:
                domain.append(("id", "not in", self.ids))  # deleted with self anyway
            dependents = self.env[model_name].sudo().with_context(active_test=False).search(domain)
            if not dependents:
                continue
            if ondelete == "cascade":
                dependents.unlink()
            else:
                dependents.write({fname: False})

    def unlink(self):
        if self and AUDIT["enabled"]:
            self._crm_audit_release_dependents()
            fnames = self._crm_audit_fields(self._fields)
            before = self._crm_audit_snapshot(fnames)
            names = self._crm_audit_names(before)
            # Only the values a record holds: most of a contact's fields are
            # empty, and a deletion keeps no trace of those.
            audited = set(fnames)
            filled = [
                (record_id, fname, value)
                for record_id in self._ids
                for fname, value in before[record_id].items()
                if fname in audited and not (value is None or value is False or value == ())
            ]
            render = self._crm_audit_renderer([(fname, value) for _id, fname, value in filled])
            last_values = {record_id: {} for record_id in self._ids}
            for record_id, fname, value in filled:
                last_values[record_id][fname] = render(fname, value)
            rows = [
                (record_id, names[record_id], None, dump_values(values), None)
                for record_id, values in last_values.items()
            ]
            self.env["crm.audit.log"]._insert(self, "unlink", rows)
        return super().unlink()

    def action_crm_audit_log(self):
        """The audit log of these records (the smart button of their form)."""
        return self.env["crm.audit.log"]._action_for(self)
