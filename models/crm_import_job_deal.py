"""Deal import: the contact import job, run on ``crm.lead``.

The same job stages, maps, validates, deduplicates, logs and reverts; only
what is written differs. A deal links to an existing client (by reference
or name) and contact (by email); a client name that matches nobody creates
the client (one create per batch, never in the mode "Update Existing").
Stage, salesperson, sales team and currency (ISO code) are found, with a
per-row error when unknown; tags are created when the user may. A deal is
the same as another, in the file or in the database, by its external ID,
else by its title with the same client (or, without client, email).
"""

import json

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_import_job import BATCH_SIZE, VALUE_TYPES
from .crm_import_mapping import DEAL_TARGETS, normalize_header, suggest, template_key

DEAL = "crm.lead"
# Models whose links to a deal are the add-on's or stock's bookkeeping, not
# work done on it: they do not keep an imported deal from being reverted.
DEAL_BOOKKEEPING = ("crm.import.job.row", "crm.automation.run")


class CrmImportTemplate(models.Model):
    _inherit = "crm.import.template"

    import_model = fields.Selection(
        [("res.partner", "Clients and Contacts"), (DEAL, "Deals")],
        string="Import",
        default="res.partner",
        required=True,
        help="The kind of import the template maps.",
    )


class CrmImportJobColumn(models.Model):
    _inherit = "crm.import.job.column"

    deal_target = fields.Selection(selection="_deal_target_selection", string="Import Deal Field As")

    @api.model
    def _deal_target_selection(self):
        Lead = self.env[DEAL]
        labels = {"external_id": self.env._("External ID"), "client": self.env._("Client (reference or name)")}
        return [
            (key, labels.get(key) or Lead._fields[fname].get_description(self.env)["string"])
            for key, (fname, _kind, _headers) in DEAL_TARGETS.items()
        ]

    @api.depends("target", "deal_target")
    def _compute_target_type(self):
        deals = self.filtered(lambda column: column.job_id.import_model == DEAL)
        for column in deals:
            column.target_type = column.job_id._target_type(column.deal_target)
        return super(CrmImportJobColumn, self - deals)._compute_target_type()


class CrmImportJobRow(models.Model):
    _inherit = "crm.import.job.row"

    kind = fields.Selection(selection_add=[("deal", "Deal")])
    deal_id = fields.Many2one(DEAL, readonly=True, ondelete="set null", index="btree_not_null")


class CrmImportJob(models.Model):
    _inherit = "crm.import.job"

    import_model = fields.Selection(
        [("res.partner", "Clients and Contacts"), (DEAL, "Deals")],
        string="Import",
        default="res.partner",
        required=True,
        help="What the rows of the file are.",
    )
    phase = fields.Selection(selection_add=[("deals", "Deals"), ("done",)])

    def _is_deal_import(self):
        return self.import_model == DEAL

    # Mapping -------------------------------------------------------------------

    def _suggest_mapping(self, headers, samples):
        result = super()._suggest_mapping(headers, samples)
        if self._is_deal_import():
            if self.template_id:
                # A deal template of the same headers: its mapping, as saved.
                mapping = self.template_id.mapping or {}
                valid = dict(self.env["crm.import.job.column"]._deal_target_selection())
                for column in self.column_ids:
                    target = mapping.get(str(column.sequence))
                    column.write({"target": False, "deal_target": target if target in valid else False})
            else:
                self._suggest_targets()
        return result

    def _template_domain(self, key):
        return [*super()._template_domain(key), ("import_model", "=", self.import_model)]

    def _suggest_targets(self):
        """Suggest each column's target again, for the job's kind of records."""
        self.ensure_one()
        deal = self._is_deal_import()
        labels = {} if deal else self._custom_labels()
        used = set()
        for column in self.column_ids:
            target = suggest(column.header, labels, DEAL_TARGETS if deal else None)
            target = target if target not in used else False
            used.add(target)
            column.write({"target": False, "deal_target": target} if deal else {"target": target, "deal_target": False})
        if deal:
            self.template_id = False

    def write(self, vals):
        result = super().write(vals)
        if "import_model" in vals:
            # Switched between contacts and deals after loading the file.
            for job in self.filtered(lambda job: job.column_ids and job.state in ("draft", "tested")):
                job._suggest_targets()
        return result

    def action_save_template(self):
        self._check_import_rights()
        if not self._is_deal_import():
            return super().action_save_template()
        self.ensure_one()
        values = {
            "header_key": template_key(self.column_ids.mapped("header")),
            "mapping": {str(column.sequence): column.deal_target for column in self.column_ids if column.deal_target},
            "import_model": DEAL,
        }
        if self.template_id and self.template_id.header_key == values["header_key"]:
            self.template_id.write(values)
        else:
            self.template_id = self.env["crm.import.template"].create({"name": self.name, **values})
        return True

    def _mapping(self):
        if self._is_deal_import():
            return [(column.sequence, column.deal_target) for column in self.column_ids if column.deal_target]
        return super()._mapping()

    @api.model
    def _target_type(self, target):
        if self._is_deal_import() and target:
            return VALUE_TYPES.get(DEAL_TARGETS.get(target, (False, False))[1], False)
        return super()._target_type(target)

    # Validation ----------------------------------------------------------------

    def _lookups(self):
        lookups = super()._lookups()
        if self._is_deal_import():
            stages = {}
            langs = [code for code, _name in self.env["res.lang"].get_installed()]
            for lang in dict.fromkeys(["en_US", *langs]):
                for stage in self.env["crm.stage"].with_context(lang=lang).search_fetch([], ["name"]):
                    stages.setdefault(normalize_header(stage.name), stage.id)
            lookups["stages"] = stages
            lookups["currencies"] = {
                currency.name.upper(): (currency.id, currency.active)
                for currency in self.env["res.currency"]
                .with_context(active_test=False)
                .search_fetch([], ["name", "active"])
            }
            Tag = self.env["crm.tag"]
            lookups["deal_tags"] = {normalize_header(tag.name): tag.id for tag in Tag.search_fetch([], ["name"])}
            lookups["may_create_deal_tags"] = Tag.has_access("create")
        return lookups

    def _deal_partners(self, rows):
        """{('ref'|'name'|'email', key): partner ids} for the clients and emails of ``rows``: three queries."""
        clients, emails = set(), set()
        for row in rows:
            for index, target in self._mapping():
                text = (row.data or [])[index].strip() if index < len(row.data or []) else ""
                if target == "client" and text:
                    clients.add(text)
                elif target == "email" and text:
                    emails.add(tools.email_normalize(text) or text.lower())
        Partner = self.env["res.partner"]
        found = {}
        if clients:
            for partner in Partner.search_fetch([("ref", "in", list(clients))], ["ref"]):
                found.setdefault(("ref", partner.ref), set()).add(partner.id)
            names = [name.lower() for name in clients]
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL("SELECT id FROM res_partner WHERE active AND is_company AND lower(trim(name)) = ANY(%s)", names)
                )
            ]
            for partner in Partner.search_fetch([("id", "in", ids)], ["name"]):
                found.setdefault(("name", partner.name.strip().lower()), set()).add(partner.id)
        if emails:
            for partner in Partner.search_fetch([("email_normalized", "in", list(emails))], ["email_normalized"]):
                found.setdefault(("email", partner.email_normalized), set()).add(partner.id)
        return found

    def _deal_row_values(self, data, lookups, partners):
        """(values, keys, errors) of one staged deal row."""
        env, Lead = self.env, self.env[DEAL]
        values, errors = {}, []
        headers = {column.sequence: column.header for column in self.column_ids}
        for index, target in self._mapping():
            text = data[index].strip() if index < len(data) else ""
            if text.startswith("'"):
                text = text[1:].strip()
            if not text:
                continue
            fname, kind, _headers = DEAL_TARGETS[target]
            try:
                if kind in VALUE_TYPES:
                    column_format = (*lookups["formats"].get(index, (".", False)), lookups["excel"])
                    values[fname] = self._formatted_value(Lead._fields[fname], text, column_format)
                elif kind in ("client", "stage", "source", "external_id", "currency", "tags"):
                    values.update(self._deal_cell(kind, text, lookups, partners))
                else:
                    values[fname] = self._cell_value(target, kind, text, lookups)
            except ValueError as e:
                errors.append({"column": headers.get(index, ""), "message": e.args[0]})
        email = tools.email_normalize(values["email_from"]) if values.get("email_from") else False
        if email and "partner_id" not in values and "new_client" not in values:
            # No client named: the contact whose email it is, when there is exactly one.
            ids = partners.get(("email", email)) or set()
            if len(ids) == 1:
                values["partner_id"] = min(ids)
        if not values.get("name"):
            errors.append({"column": "", "message": env._("The deal has no title: map a title column.")})
        new_client = values.get("new_client")
        owner = values.get("partner_id") or (f"new:{new_client.strip().lower()}" if new_client else email)
        name = (values.get("name") or "").strip().lower()
        keys = {
            "external_id": values.get("external_id") or False,
            "name": f"{owner}|{name}" if owner and name else False,
        }
        return values, keys, errors

    def _deal_cell(self, kind, text, lookups, partners):
        """The values that one deal cell of ``kind`` gives; ValueError with the reason."""
        env = self.env
        if kind == "client":
            ids = partners.get(("ref", text)) or partners.get(("name", text.lower()))
            if not ids and self.mode != "update":
                # Created with the deal, once for all the rows that name it.
                return {"new_client": text}
            if not ids:
                raise ValueError(env._("Unknown client: %(value)s.", value=text))
            if len(ids) > 1:
                raise ValueError(env._("Several clients are named %(value)s: use their reference.", value=text))
            return {"partner_id": min(ids)}
        if kind == "stage":
            if normalize_header(text) not in lookups["stages"]:
                raise ValueError(env._("Unknown stage: %(value)s.", value=text))
            return {"stage_id": lookups["stages"][normalize_header(text)]}
        if kind == "currency":
            currency = lookups["currencies"].get(text.upper())
            if not currency:
                raise ValueError(env._("Unknown currency: %(value)s.", value=text))
            if not currency[1]:
                raise ValueError(env._("The currency %(value)s is not active: activate it first.", value=text))
            return {"currency_id": currency[0]}
        if kind == "tags":
            names = list(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))
            missing = [name for name in names if normalize_header(name) not in lookups["deal_tags"]]
            if missing and not lookups["may_create_deal_tags"]:
                raise ValueError(env._("You may not create deal tags: %(tags)s.", tags=", ".join(missing)))
            return {"tags": names}
        return {kind: text}  # source, external_id

    def _validate_rows(self, rows):
        if not self._is_deal_import():
            return super()._validate_rows(rows)
        lookups = self._lookups()
        partners = self._deal_partners(rows)
        updates = []
        for row in rows:
            values, keys, errors = self._deal_row_values(row.data or [], lookups, partners)
            updates.append(
                (
                    row.id,
                    "failed" if errors else "valid",
                    "fail" if errors else None,
                    json.dumps(values),
                    json.dumps(errors) if errors else None,
                    "deal",
                    keys["external_id"],
                    keys["name"],
                )
            )
        self._update_rows(
            updates,
            ["state", "plan", "vals", "errors", "kind", "key_external_id", "key_name"],
            ["varchar", "varchar", "jsonb", "jsonb", "varchar", "varchar", "varchar"],
        )

    # Matching ------------------------------------------------------------------

    def _find_deals(self, rows):
        """{row: existing deals} by external ID, else title and client: two queries for the batch."""
        pending = rows.filtered(lambda row: not row.duplicate_of and self.mode != "create")
        by_ext, by_name = {}, {}
        ext = {row.key_external_id for row in pending if row.key_external_id}
        if ext:
            data = (
                self.env["ir.model.data"]
                .sudo()
                .search_fetch(
                    [("model", "=", DEAL), ("module", "=", "__import__"), ("name", "in", list(ext))],
                    ["name", "res_id"],
                )
            )
            for item in data:
                by_ext.setdefault(item.name, set()).add(item.res_id)
            # The user's record rules apply: the ids are read back through the ORM.
            visible = set(self.env[DEAL].search([("id", "in", [i for ids in by_ext.values() for i in ids])]).ids)
            by_ext = {name: ids & visible for name, ids in by_ext.items() if ids & visible}
        names = {((row.vals or {}).get("name") or "").strip().lower() for row in pending if row.key_name} - {""}
        if names:
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL("SELECT id FROM crm_lead WHERE active AND lower(trim(name)) = ANY(%s)", list(names))
                )
            ]
            for lead in self.env[DEAL].search_fetch([("id", "in", ids)], ["name", "partner_id", "email_normalized"]):
                owner = lead.partner_id.id or lead.email_normalized
                by_name.setdefault(f"{owner}|{lead.name.strip().lower()}", set()).add(lead.id)
        found = {}
        for row in pending:
            ids = by_ext.get(row.key_external_id) if row.key_external_id else None
            ids = ids or by_name.get(row.key_name)
            if ids:
                found[row] = self.env[DEAL].browse(sorted(ids))
        return found

    def _plan_deals(self, rows):
        """What each of ``rows`` (valid, not a duplicate) will do, and which deal it matches."""
        matches = self._find_deals(rows)
        plans = {}
        for row in rows:
            if row.duplicate_of:
                continue
            match = matches.get(row)
            if match and len(match) > 1:
                plans[row] = ("review", match, self.env._("Matches several existing records."))
            elif match:
                if self.mode in ("update", "create_update", "fill"):
                    plans[row] = ("update", match, False)
                else:
                    plans[row] = ("skip", match, self.env._("Already exists."))
            elif self.mode == "update":
                plans[row] = ("skip", False, self.env._("No existing record to update."))
            else:
                plans[row] = ("create", False, False)
        return plans

    # Test run and execution ----------------------------------------------------

    def action_test(self):
        deals = self.filtered(lambda job: job._is_deal_import())
        if self - deals:
            super(CrmImportJob, self - deals).action_test()
        if not deals:
            return True
        deals._check_import_rights()
        deals._check_formats()
        Row = self.env["crm.import.job.row"]
        for job in deals:
            if job.state not in ("draft", "tested"):
                raise UserError(self.env._("This import has already run."))
            job._reset_rows()
            job._run_phase_validate(batch_size=None)
            rows = Row.search([("job_id", "=", job.id), ("kind", "=", "deal"), ("state", "=", "valid")])
            for batch in tools.split_every(BATCH_SIZE, rows.ids, Row.browse):
                updates = [
                    (row.id, plan, json.dumps([{"column": "", "message": message}]) if message else None)
                    for row, (plan, _match, message) in job._plan_deals(batch).items()
                ]
                job._update_rows(updates, ["plan", "errors"], ["varchar", "jsonb"])
            job.state = "tested"
        return True

    def _run_chunk(self, batch_size):
        if not self._is_deal_import() or self.phase == "validate":
            return super()._run_chunk(batch_size)
        # After validation the contact phases do not apply: deals have their own.
        if self.phase != "deals":
            self.phase = "deals"
        Row = self.env["crm.import.job.row"]
        rows = Row.search(
            [("job_id", "=", self.id), ("kind", "=", "deal"), ("state", "=", "valid"), ("duplicate_of", "=", False)],
            order="id",
            limit=batch_size,
        )
        if rows:
            self.with_context(tracking_disable=True, mail_create_nolog=True)._execute_deals(rows)
            return
        self._resolve_deal_duplicates()
        self.write({"phase": "done", "state": "done", "finished_at": fields.Datetime.now()})
        self._notify_done()

    def _lead_values(self, values, sources, tags, clients):
        vals = {k: v for k, v in values.items() if k not in ("external_id", "source", "tags", "new_client")}
        vals["type"] = "opportunity"
        if values.get("source"):
            vals["source_id"] = sources[normalize_header(values["source"])]
        if values.get("tags"):
            vals["tag_ids"] = [Command.set([tags[normalize_header(name)] for name in values["tags"]])]
        if values.get("new_client"):
            vals["partner_id"] = clients[values["new_client"].strip().lower()]
        if "currency_id" in vals and "expected_revenue" in vals:
            # An amount in a named currency: the deal's own amount, which its
            # company-currency revenue is computed from.
            vals["amount_currency"] = vals.pop("expected_revenue")
        return vals

    def _prefetch_deal_tags(self, values_list):
        """{normalised name: crm.tag id} of the tags the batch names, the
        missing ones created in one batch (the rows were refused at
        validation if the user may not)."""
        names = {name for values in values_list for name in values.get("tags", [])}
        if not names:
            return {}
        Tag = self.env["crm.tag"]
        tags = {normalize_header(tag.name): tag.id for tag in Tag.search_fetch([], ["name"])}
        missing = {normalize_header(name): name for name in names if normalize_header(name) not in tags}
        if missing:
            for tag in Tag.create([{"name": name} for name in missing.values()]):
                tags[normalize_header(tag.name)] = tag.id
        return tags

    def _new_clients(self, rows, values):
        """{lowercase name: partner id} of the clients that the rows to create
        name and that do not exist: found again (an earlier chunk may have
        created them), the rest created in one batch and logged for the revert."""
        names = {}
        for row in rows:
            name = (values[row].get("new_client") or "").strip()
            if name:
                names.setdefault(name.lower(), (name, row))
        if not names:
            return {}
        found = dict(
            self.env.execute_query(
                SQL(
                    """SELECT DISTINCT ON (lower(trim(name))) lower(trim(name)), id FROM res_partner
                        WHERE active AND is_company AND lower(trim(name)) = ANY(%s) ORDER BY lower(trim(name)), id""",
                    list(names),
                )
            )
        )
        missing = [key for key in names if key not in found]
        if missing:
            clients = self.env["res.partner"].create([{"name": names[key][0], "is_company": True} for key in missing])
            clients.flush_recordset()
            dates = dict(
                self.env.execute_query(SQL("SELECT id, write_date FROM res_partner WHERE id IN %s", tuple(clients.ids)))
            )
            self.env["crm.import.job.row"].sudo().create(
                [
                    {
                        "job_id": self.id,
                        "row_number": names[key][1].row_number,
                        "kind": "client",
                        "synthetic": True,
                        "state": "created",
                        "record_id": client.id,
                        "record_write_date": dates[client.id],
                    }
                    for key, client in zip(missing, clients, strict=True)
                ]
            )
            found.update(zip(missing, clients.ids, strict=True))
        return found

    def _execute_deals(self, rows):
        """Create or update the deals of ``rows``: one create(vals_list) for the
        batch, the updates written together, a failure isolated in a savepoint."""
        Lead = self.env[DEAL]
        plans = self._plan_deals(rows)
        values = self._merged_values(rows)
        outcomes = {}
        _tags, sources = self._prefetch_tags_sources(list(values.values()))
        tags = self._prefetch_deal_tags(list(values.values()))
        clients = self._new_clients([row for row, plan in plans.items() if plan[0] == "create"], values)
        to_create, to_update = self._split_plans(
            plans, outcomes, lambda row: self._lead_values(values[row], sources, tags, clients)
        )
        outcomes.update(self._create_planned(to_create, Lead.create))
        written = {row: vals for row, vals in to_create}
        planned = []
        if to_update:
            records = Lead.browse([match.id for _row, match, _vals in to_update])
            records.fetch(list({fname for _row, _match, vals in to_update for fname in vals}))
            for row, match, vals in to_update:
                record = match.with_prefetch(records._prefetch_ids)
                if self.mode == "fill":
                    vals = {k: v for k, v in vals.items() if not record[k]}
                old = {fname: self._plain(record, fname) for fname in vals}
                vals = {k: v for k, v in vals.items() if self._json_value(record._fields[k], v) != old[k]}
                written[row] = vals
                planned.append((row, record, vals, {fname: old[fname] for fname in vals}))
            errors = self._write_each([(row, record, vals) for row, record, vals, _old in planned])
            for row, record, _vals, old in planned:
                outcomes[row] = (
                    ("failed", record.id, errors[row], None) if errors[row] else ("updated", record.id, False, old)
                )
        self._store_deal_outcomes(outcomes, written)
        xmlids = [
            {"xml_id": f"__import__.{row.key_external_id}", "record": Lead.browse(outcome[1]), "noupdate": True}
            for row, outcome in outcomes.items()
            if outcome[0] == "created" and row.key_external_id
        ]
        if xmlids:
            self.env["ir.model.data"].sudo()._update_xmlids(xmlids)

    def _store_deal_outcomes(self, outcomes, written):
        ids = [record_id for _state, record_id, _message, _old in outcomes.values() if record_id]
        self.env[DEAL].flush_model()
        dates = (
            dict(self.env.execute_query(SQL("SELECT id, write_date FROM crm_lead WHERE id IN %s", tuple(ids))))
            if ids
            else {}
        )
        updates = []
        for row, (state, record_id, message, old) in outcomes.items():
            done = state in ("created", "updated")
            record = self.env[DEAL].browse(record_id)
            new = {f: self._plain(record, f) for f in written.get(row, {}) if f != "type"} if done else None
            updates.append(
                (
                    row.id,
                    state,
                    record_id or None,
                    json.dumps([{"column": "", "message": message}]) if message else None,
                    json.dumps(old) if old is not None else None,
                    json.dumps(new) if new is not None else None,
                    dates.get(record_id) if done else None,
                )
            )
        self._update_rows(
            updates,
            ["state", "deal_id", "errors", "old_values", "new_values", "record_write_date"],
            ["varchar", "int4", "jsonb", "jsonb", "jsonb", "timestamp"],
        )

    def _resolve_deal_duplicates(self):
        """In-file duplicates take their first row's outcome."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_import_job_row r
                   SET state = CASE WHEN %(merge)s AND m.state IN ('created', 'updated')
                                    THEN 'merged' ELSE 'review' END,
                       deal_id = m.deal_id,
                       errors = jsonb_build_array(jsonb_build_object('column', '', 'message',
                                    replace(%(message)s, %(placeholder)s, m.row_number::text)))
                  FROM crm_import_job_row m
                 WHERE r.job_id = %(job)s AND r.kind = 'deal' AND r.state = 'valid' AND m.id = r.duplicate_of
                """,
                merge=self.duplicates == "merge",
                message=self.env._("Same deal as row %(row)s", row="%(row)s"),
                placeholder="%(row)s",
                job=self.id,
            )
        )
        self.env["crm.import.job.row"].invalidate_model()

    # Revert --------------------------------------------------------------------

    def _revert_chunk(self, batch_size):
        if not self._is_deal_import():
            return super()._revert_chunk(batch_size)
        Row = self.env["crm.import.job.row"]
        # The deals first, then the clients created for them (no longer used by them).
        for state, kind in (("created", "deal"), ("updated", "deal"), ("created", "client")):
            domain = [("job_id", "=", self.id), ("state", "=", state), ("kind", "=", kind), ("revert_done", "=", False)]
            rows = Row.search(domain, order="id desc", limit=batch_size)
            if rows:
                break
        else:
            self._finish_revert()
            return False
        if kind == "client":
            reverted, conflicts = self._revert_created(self._existing(rows))
            self._mark_reverted(rows, reverted, conflicts)
            return True
        existing = set(rows.deal_id.exists().ids)
        rows_left = rows.filtered(lambda row: row.deal_id.id in existing)
        if state == "created":
            reverted, conflicts = self._revert_created_deals(rows_left)
        else:
            reverted, conflicts = self._revert_updated_deals(rows_left)
        self._mark_reverted(rows, reverted, conflicts)
        return True

    def _revert_created_deals(self, rows):
        """Delete the deals of ``rows`` that nobody worked on or changed since."""
        changed = self._changed(rows, "deal_id")
        referenced = self._referenced_deals(rows.deal_id)
        reverted, conflicts = [], []
        # Managers may not delete deals (stock gives that to Sales Administrators
        # only): their revert archives the deals it created instead.
        delete = self.env[DEAL].has_access("unlink")
        for row in rows:
            if row.deal_id.id in referenced:
                conflicts.append((row, referenced[row.deal_id.id]))
                continue
            if row.id in changed:
                conflicts.append((row, self.env._("Changed since the import.")))
                continue
            try:
                with self.env.cr.savepoint():
                    if delete:
                        row.deal_id.unlink()
                    else:
                        row.deal_id.action_archive()
                reverted.append(row)
            except Exception as e:
                conflicts.append((row, self._error_text(e)))
        return reverted, conflicts

    def _revert_updated_deals(self, rows):
        """Restore the values that ``rows`` overwrote, unless changed again since."""
        changed = self._changed(rows, "deal_id")
        conflicts, items = [], []
        for row in rows:
            if row.id in changed:
                conflicts.append((row, self.env._("Changed again since the import.")))
            else:
                # Not a custom field deleted since.
                old = {fname: value for fname, value in (row.old_values or {}).items() if fname in row.deal_id._fields}
                items.append((row, row.deal_id, old))
        reverted = []
        for row, error in self._write_each(items).items():
            if error:
                conflicts.append((row, error))
            else:
                reverted.append(row)
        return reverted, conflicts

    def _referenced_deals(self, deals):
        """{deal id: reason} for ``deals`` that people worked on since:
        another record links to them (a quotation with sale_crm, a meeting,
        any stored link that a delete would clear or refuse), messages or
        activities. Links that die with the deal (``ondelete="cascade"``)
        and the add-on's own bookkeeping do not count."""
        if not deals:
            return {}
        reasons = {}
        for field in self._deal_reference_fields():
            Model = self.env[field.model_name].sudo().with_context(active_test=False)
            for deal, _count in Model._read_group([(field.name, "in", deals.ids)], [field.name], ["__count"]):
                reasons.setdefault(deal.id, self.env._("Used by %(model)s.", model=Model._description))
        messages = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [("model", "=", DEAL), ("res_id", "in", deals.ids), ("message_type", "in", ("comment", "email"))],
                ["res_id"],
            )
        )
        for (res_id,) in messages:
            reasons[res_id] = self.env._("Has messages since the import.")
        activities = (
            self.env["mail.activity"]
            .sudo()
            ._read_group([("res_model", "=", DEAL), ("res_id", "in", deals.ids)], ["res_id"])
        )
        for (res_id,) in activities:
            reasons.setdefault(res_id, self.env._("Has activities since the import."))
        return reasons

    def _deal_reference_fields(self):
        """The stored many-to-one fields of other models that point to deals
        and keep their record when the deal goes."""
        fields_ = []
        for model_name, Model in self.env.registry.items():
            if Model._abstract or Model._transient or not Model._auto or model_name in DEAL_BOOKKEEPING:
                continue
            for field in Model._fields.values():
                if (
                    field.type == "many2one"
                    and field.comodel_name == DEAL
                    and field.store
                    and field.ondelete != "cascade"
                    and model_name != DEAL
                ):
                    fields_.append(field)
        return fields_
