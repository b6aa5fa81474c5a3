import re
from urllib.parse import urlparse

from lxml import etree
from lxml.builder import E

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# What an Admin picks, and how it is stored. Custom fields are real stored
# fields (ir.model.fields, state "manual"): search, group-by, pivot, export,
# import, automation conditions and the partner merge handle them natively.
FIELD_TYPES = [
    ("char", "Text"),
    ("text", "Long Text"),
    ("integer", "Integer"),
    ("float", "Decimal"),
    ("monetary", "Monetary"),
    ("date", "Date"),
    ("datetime", "Date and Time"),
    ("boolean", "Yes/No"),
    ("selection", "Selection"),
    ("tags", "Tags"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("url", "URL"),
    ("contact", "Link to a Contact"),
    ("client", "Link to a Client"),
    ("user", "Link to a User"),
]
OPTION_MODEL = "crm.custom.field.option"
STORAGE = {
    "char": ("char", False),
    "text": ("text", False),
    "integer": ("integer", False),
    "float": ("float", False),
    "monetary": ("monetary", False),
    "date": ("date", False),
    "datetime": ("datetime", False),
    "boolean": ("boolean", False),
    "selection": ("many2one", OPTION_MODEL),
    "tags": ("many2many", OPTION_MODEL),
    "email": ("char", False),
    "phone": ("char", False),
    "url": ("char", False),
    "contact": ("many2one", "res.partner"),
    "client": ("many2one", "res.partner"),
    "user": ("many2one", "res.users"),
}
# Storage changes whose values convert safely (PostgreSQL casts the column
# in place). Text, email, phone and URL share the same storage.
CONVERTIBLE = {
    ("char", "text"),
    ("text", "char"),
    ("integer", "float"),
    ("integer", "monetary"),
    ("float", "monetary"),
    ("monetary", "float"),
    ("date", "datetime"),
}
TEXT_TYPES = ("char", "text", "email", "phone", "url")
NUMBER_TYPES = ("integer", "float", "monetary")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

# Where the generated views go, per target model.
TARGETS = {
    "res.partner": {
        "form": "base.view_partner_form",
        "list": "base.view_partner_tree",
        "search": "base.view_res_partner_filter",
        "currency": "crm_amount_currency_id",
    },
    "crm.lead": {
        "form": "crm.crm_lead_view_form",
        "list": "crm.crm_case_tree_view_oppor",
        "search": "crm.view_crm_case_opportunities_filter",
        "currency": "company_currency",
    },
}


# Words a yes/no value may be written as, in imports, defaults and automation steps.
TRUE_WORDS = ("1", "true", "yes", "y")
FALSE_WORDS = ("0", "false", "no", "n")


def text_to_value(env, field, text, domain=()):
    """The value for ``field`` (an Odoo field object) written as ``text``.

    The one parser of the add-on's text values: custom field defaults and the
    "set a field" step of automation pipelines. Empty text is an empty value.
    A link takes a record id or its exact name, looked up with the rights of
    ``env`` among the records matching ``domain``. Raise ValueError when the
    text does not fit the field.
    """
    text = (text or "").strip()
    if not text:
        return 0 if field.type in ("integer", "float", "monetary") else False
    if field.type in ("char", "text", "html"):
        return text
    if field.type == "integer":
        return int(text)
    if field.type in ("float", "monetary"):
        return float(text)
    if field.type == "boolean":
        word = text.lower()
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError(text)
        return word in TRUE_WORDS
    if field.type == "date":
        return fields.Date.to_date(text)
    if field.type == "datetime":
        return fields.Datetime.to_datetime(text)
    if field.type == "selection":
        if text not in dict(field._description_selection(env)):
            raise ValueError(text)
        return text
    if field.type == "many2one":
        Comodel = env[field.comodel_name]
        name_domain = [("id", "=", int(text))] if text.isdigit() else [(Comodel._rec_name or "id", "=", text)]
        record = Comodel.search([*domain, *name_domain], limit=1)
        if not record:
            raise ValueError(text)
        return record.id
    raise ValueError(text)


class CrmCustomField(models.Model):
    _name = "crm.custom.field"
    _description = "Custom Field"
    _order = "model, sequence, id"

    name = fields.Char(string="Label", required=True, translate=True)
    key = fields.Char(
        required=True,
        help="Technical key, lowercase letters, digits and underscores. The field is stored as x_<key>; "
        "imports, exports and automations refer to it.",
    )
    model = fields.Selection(
        [("res.partner", "Clients and Contacts"), ("crm.lead", "Deals")],
        string="Applies To Records",
        required=True,
        default="res.partner",
    )
    applies_to = fields.Selection(
        [("clients", "Clients"), ("contacts", "Contacts"), ("both", "Clients and Contacts")],
        default="both",
        required=True,
        help="For clients and contacts: which of them show and validate this field.",
    )
    field_type = fields.Selection(FIELD_TYPES, string="Type", required=True, default="char")
    option_ids = fields.One2many(OPTION_MODEL, "field_id", string="Options")
    required = fields.Boolean()
    has_min = fields.Boolean(string="Has Minimum")
    min_value = fields.Float(string="Minimum")
    has_max = fields.Boolean(string="Has Maximum")
    max_value = fields.Float(string="Maximum")
    regex = fields.Char(
        string="Regular Expression",
        help="The whole value must match this Python regular expression.",
    )
    regex_message = fields.Char(
        string="Validation Message",
        translate=True,
        help="Shown when a value does not match the regular expression.",
    )
    unique = fields.Boolean(help="No two records may hold the same value.")
    default_value = fields.Char(
        string="Default",
        help="Initial value of new records, written as you would type it (dates as YYYY-MM-DD, "
        "yes/no as 1 or 0, selections as the option's label).",
    )
    help = fields.Text(string="Help Text", translate=True)
    group_id = fields.Many2one("crm.custom.field.group", string="Purpose", ondelete="restrict")
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        help="Show the field only on records of these sales teams. Empty: all teams.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    field_id = fields.Many2one("ir.model.fields", string="Stored Field", readonly=True, ondelete="set null")
    field_name = fields.Char(compute="_compute_field_name", store=True)

    _sql_constraints = [  # noqa: RUF012
        (
            "key_model_uniq",
            "unique(model, key)",
            "This key is already used by another custom field of the same records.",
        ),
    ]

    @api.model
    def _field_type_labels(self):
        """{type: label} of the field types, in the context's language."""
        return dict(self._fields["field_type"]._description_selection(self.env))

    @api.depends("key")
    def _compute_field_name(self):
        for definition in self:
            definition.field_name = f"x_{definition.key}" if definition.key else False

    # Constraints -------------------------------------------------------------

    @api.constrains("key", "model")
    def _check_key(self):
        for definition in self:
            if not KEY_RE.match(definition.key or ""):
                raise ValidationError(
                    self.env._(
                        "The key %(key)s is not valid: use lowercase letters, digits and underscores, "
                        "starting with a letter.",
                        key=definition.key,
                    )
                )
            if definition.field_name in self.env[definition.model]._fields and not definition.field_id:
                raise ValidationError(
                    self.env._(
                        "The key %(key)s is already used by another field. Choose another key.",
                        key=definition.key,
                    )
                )

    @api.constrains("regex")
    def _check_regex(self):
        for definition in self:
            if not definition.regex:
                continue
            if definition.field_type not in TEXT_TYPES:
                raise ValidationError(
                    self.env._("Only text, email, phone and URL fields can have a regular expression.")
                )
            try:
                re.compile(definition.regex)
            except re.error as error:
                raise ValidationError(
                    self.env._(
                        "The regular expression %(regex)s does not compile (%(error)s). Correct it and save again.",
                        regex=definition.regex,
                        error=error,
                    )
                ) from error

    @api.constrains("has_min", "min_value", "has_max", "max_value")
    def _check_bounds(self):
        for definition in self:
            if definition.has_min and definition.has_max and definition.min_value > definition.max_value:
                raise ValidationError(
                    self.env._("The minimum of %(field)s is above its maximum.", field=definition.name)
                )

    # CRUD ----------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Definition = self.sudo().with_context(active_test=False)
        for vals in vals_list:
            model = vals.get("model") or self.default_get(["model"]).get("model")
            if vals.get("key") and Definition.search_count([("model", "=", model), ("key", "=", vals["key"])], limit=1):
                raise ValidationError(
                    self.env._(
                        "The key %(key)s is already used by another custom field. Choose another key.",
                        key=vals["key"],
                    )
                )
        definitions = super().create(vals_list)
        for definition in definitions:
            definition._create_stored_field()
        definitions._sync_defaults()
        self._on_definitions_changed(definitions.mapped("model"))
        return definitions

    def write(self, vals):
        if "key" in vals and any(d.key != vals["key"] for d in self if d.field_id):
            raise UserError(
                self.env._("The key of a custom field cannot change once created: imports and automations use it.")
            )
        if "model" in vals and any(d.model != vals["model"] for d in self):
            raise UserError(self.env._("A custom field cannot move to other records. Create a new field instead."))
        if "field_type" in vals:
            for definition in self.filtered(lambda d: d.field_type != vals["field_type"]):
                definition._change_type(vals["field_type"])
        models_before = set(self.mapped("model"))
        res = super().write(vals)
        self._sync_stored_fields()
        if {"default_value", "field_type"} & vals.keys():
            self._sync_defaults()
        self._on_definitions_changed(models_before)
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_holding_values(self):
        for definition in self.filtered("field_id"):
            if (
                self.env[definition.model]
                .sudo()
                .with_context(active_test=False)
                .search_count([(definition.field_name, "!=", False)], limit=1)
            ):
                raise UserError(
                    self.env._(
                        "%(field)s still holds values. Archive it instead of deleting it, so no value is lost.",
                        field=definition.name,
                    )
                )

    def unlink(self):
        changed = set(self.mapped("model"))
        stored = self.mapped("field_id")
        res = super().unlink()
        # The forms are rebuilt without the fields first: Odoo refuses to
        # delete a field a view still shows.
        self._on_definitions_changed(changed)
        # The definition model is the access gate (Admin only); the field
        # itself is technical configuration only the superuser may change.
        stored.sudo().unlink()
        self.env.registry.clear_cache()
        return res

    # Stored field --------------------------------------------------------------

    def _field_values(self):
        self.ensure_one()
        ttype, relation = STORAGE[self.field_type]
        values = {
            "name": self.field_name,
            "model_id": self.env["ir.model"]._get_id(self.model),
            "field_description": self.name,
            "help": self.help,
            "ttype": ttype,
            "state": "manual",
            "store": True,
            "index": ttype not in ("text", "many2many", "boolean"),
            "copied": True,
        }
        if relation:
            values["relation"] = relation
        if self.field_type in ("selection", "tags"):
            values["domain"] = f"[('field_id', '=', {self.id})]"
            values["on_delete"] = "restrict" if ttype == "many2one" else "set null"
        elif self.field_type == "contact":
            values["domain"] = "[('is_company', '=', False)]"
        elif self.field_type == "client":
            values["domain"] = "[('is_company', '=', True)]"
        if ttype == "many2many":
            table = self.env[self.model]._table
            values.update(
                relation_table=f"x_ccs_{table}_{self.key}_rel"[:63],
                column1=f"{table}_id",
                column2="option_id",
            )
        if ttype == "monetary":
            values["currency_field"] = TARGETS[self.model]["currency"]
        return values

    def _create_stored_field(self):
        self.ensure_one()
        # Creating fields is reserved to the superuser; Admins reach it only
        # through this definition, whose access rights are the gate.
        field = self.env["ir.model.fields"].sudo().create(self._field_values())
        self.field_id = field

    def _sync_stored_fields(self):
        for definition in self.filtered("field_id"):
            field = definition.field_id.sudo()
            updates = {}
            if field.field_description != definition.name:
                updates["field_description"] = definition.name
            if (field.help or False) != (definition.help or False):
                updates["help"] = definition.help
            if updates:
                field.write(updates)
            for fname, target in (("name", "field_description"), ("help", "help")):
                translations = definition.get_field_translations(fname)[0]
                values = {t["lang"]: t["value"] for t in translations if t["value"]}
                if values:
                    field.update_field_translations(target, values)

    def _change_type(self, new_type):
        """Change the type of a stored field without losing values, or refuse."""
        self.ensure_one()
        old_type = self.field_type
        old_storage, new_storage = STORAGE[old_type], STORAGE[new_type]
        label = self._field_type_labels()
        refuse = UserError(
            self.env._(
                "%(field)s cannot change from %(old)s to %(new)s: its stored values cannot be converted. "
                "Create a new field instead.",
                field=self.name,
                old=label[old_type],
                new=label[new_type],
            )
        )
        if not self.field_id:
            return
        relational = old_storage[1] or new_storage[1]
        if relational or (old_storage != new_storage and (old_storage[0], new_storage[0]) not in CONVERTIBLE):
            raise refuse
        Model = self.env[self.model].sudo().with_context(active_test=False)
        if new_type in ("email", "phone", "url"):
            records = Model.search([(self.field_name, "!=", False)])
            for value in records.mapped(self.field_name):
                if not self._value_has_type(value, new_type):
                    raise UserError(
                        self.env._(
                            "%(field)s cannot become %(new)s: the stored value %(value)s is not one. "
                            "Correct the values first.",
                            field=self.name,
                            new=label[new_type],
                            value=value,
                        )
                    )
        if old_storage == new_storage:
            return
        # Odoo refuses to change a field's type through the ORM; the column is
        # cast in place by the schema update that follows.
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE ir_model_fields SET ttype = %s WHERE id = %s", new_storage[0], self.field_id.id)
        )
        self.env["ir.model.fields"].invalidate_model(["ttype"])
        self.env.registry.clear_cache()
        field = self.field_id.sudo()
        if new_storage[0] == "monetary":
            field.currency_field = TARGETS[self.model]["currency"]
        else:
            field.write({"field_description": self.name})

    def _sync_defaults(self):
        IrDefault = self.env["ir.default"].sudo()
        for definition in self.filtered("field_id"):
            value = definition._parse_default()
            IrDefault.discard_values(definition.model, definition.field_name, [])
            existing = IrDefault.search(
                [
                    ("field_id", "=", definition.field_id.id),
                    ("user_id", "=", False),
                    ("company_id", "=", False),
                ]
            )
            existing.unlink()
            if value not in (None, False, ""):
                IrDefault.set(definition.model, definition.field_name, value)

    def _parse_default(self):
        self.ensure_one()
        raw = (self.default_value or "").strip()
        if not raw:
            return None
        if self.field_type in ("tags", "contact", "client", "user"):
            raise ValidationError(self.env._("Links and tags cannot have a default value."))
        field = self.env[self.model]._fields[self.field_name]
        try:
            value = text_to_value(self.env, field, raw, [("field_id", "=", self.id)])
        except ValueError as error:
            if self.field_type == "selection":
                raise ValidationError(
                    self.env._("The default %(value)s is not one of the options.", value=raw)
                ) from error
            raise ValidationError(
                self.env._("The default %(value)s does not fit a %(type)s field.", value=raw, type=self.field_type)
            ) from error
        if self.field_type == "date":
            return fields.Date.to_string(value)
        if self.field_type == "datetime":
            return fields.Datetime.to_string(value)
        return value

    # Validation ------------------------------------------------------------------

    @api.model
    @tools.ormcache("model_name")
    def _definition_ids(self, model_name):
        return tuple(self.sudo().search([("model", "=", model_name), ("field_id", "!=", False)]).ids)

    @api.model
    def _for_model(self, model_name):
        return self.sudo().browse(self._definition_ids(model_name))

    def _applies(self, record):
        """Whether this definition shows and validates on ``record``."""
        if self.team_ids and record.team_id not in self.team_ids:
            return False
        if record._name != "res.partner" or self.applies_to == "both":
            return record._name != "res.partner" or record.is_company or bool(record.parent_id)
        if self.applies_to == "clients":
            return record.is_company
        return not record.is_company and bool(record.parent_id)

    @staticmethod
    def _value_has_type(value, field_type):
        if field_type == "email":
            return bool(tools.email_normalize(value))
        if field_type == "phone":
            return bool(PHONE_RE.match(value))
        if field_type == "url":
            parsed = urlparse(value)
            return parsed.scheme in ("http", "https") and "." in parsed.netloc
        return True

    def _validate_records(self, records, written=None):
        """Check the values of ``records`` against every definition in self.

        ``written`` is the set of field names written, or None on create
        (then every rule applies). A few queries per definition and batch.
        """
        label = self._field_type_labels()
        for definition in self:
            fname = definition.field_name
            if fname not in records._fields or (written is not None and fname not in written):
                continue
            scoped = records.filtered(definition._applies)
            for record in scoped:
                value = record[fname]
                if not value:
                    if definition.required and definition.field_type != "boolean":
                        raise ValidationError(
                            self.env._(
                                "%(field)s is required on %(record)s.",
                                field=definition.name,
                                record=record.display_name,
                            )
                        )
                    continue
                if definition.field_type in NUMBER_TYPES:
                    if definition.has_min and value < definition.min_value:
                        raise ValidationError(
                            self.env._(
                                "%(field)s must be at least %(min)s.",
                                field=definition.name,
                                min=definition.min_value,
                            )
                        )
                    if definition.has_max and value > definition.max_value:
                        raise ValidationError(
                            self.env._(
                                "%(field)s must be at most %(max)s.",
                                field=definition.name,
                                max=definition.max_value,
                            )
                        )
                if definition.field_type in TEXT_TYPES:
                    if not self._value_has_type(value, definition.field_type):
                        raise ValidationError(
                            self.env._(
                                "%(value)s is not a valid %(type)s for %(field)s.",
                                value=value,
                                type=label[definition.field_type],
                                field=definition.name,
                            )
                        )
                    if definition.regex and not re.fullmatch(definition.regex, value):
                        raise ValidationError(
                            definition.regex_message
                            or self.env._(
                                "%(value)s does not have the format %(field)s expects.",
                                value=value,
                                field=definition.name,
                            )
                        )
            if definition.unique and scoped and not self.env.context.get("crm_custom_field_merge"):
                definition._check_unique(scoped)

    def _check_unique(self, records):
        fname = self.field_name
        if self.field_type == "tags":
            return
        values = [record[fname] for record in records if record[fname]]
        keys = [v.id if isinstance(v, models.BaseModel) else v for v in values]
        if len(keys) != len(set(keys)):
            raise ValidationError(
                self.env._("%(field)s must be unique: two records hold the same value.", field=self.name)
            )
        if keys:
            # The other holder may be invisible to the user: check as
            # superuser, and do not reveal which record it is.
            clash = (
                self.env[self.model]
                .sudo()
                .with_context(active_test=False)
                .search_count([(fname, "in", keys), ("id", "not in", records.ids)], limit=1)
            )
            if clash:
                raise ValidationError(
                    self.env._("%(field)s must be unique: another record already holds this value.", field=self.name)
                )

    # Generated views -----------------------------------------------------------

    @api.model
    def _on_definitions_changed(self, model_names):
        self.env.registry.clear_cache()
        for model_name in set(model_names):
            self._regenerate_views(model_name)

    def _visibility(self):
        """Domain expression hiding the field where it does not apply."""
        self.ensure_one()
        hidden = []
        if self.model == "res.partner":
            if self.applies_to == "clients":
                hidden.append("not is_company")
            elif self.applies_to == "contacts":
                hidden.append("is_company")
        if self.team_ids:
            hidden.append(f"team_id not in {self.team_ids.ids}")
        return " or ".join(hidden)

    def _form_field(self):
        self.ensure_one()
        node = E.field(name=self.field_name)
        invisible = self._visibility()
        if invisible:
            node.set("invisible", invisible)
        if self.required and self.field_type != "boolean":
            node.set("required", f"not ({invisible})" if invisible else "True")
        widget = {
            "email": "email",
            "phone": "phone",
            "url": "url",
            "tags": "many2many_tags",
            "selection": "selection",
        }.get(self.field_type)
        if widget:
            node.set("widget", widget)
        if self.field_type in ("tags", "selection", "contact", "client", "user"):
            node.set("options", "{'no_create': True}")
        if self.field_type == "tags":
            node.set("options", "{'no_create': True, 'color_field': 'color'}")
        return node

    @api.model
    def _view_labels(self):
        """Static labels of the generated views, in the context's language."""
        return {"page": self.env._("Custom Fields"), "other": self.env._("Other")}

    @api.model
    def _view_translations(self, definitions):
        """{lang: {English term: translated term}} for the generated views:
        the arch is written in English and translated like any view."""
        source = self.with_context(lang="en_US")
        english = list(source._view_labels().values())
        english += [d.name for d in definitions.with_context(lang="en_US")]
        english += [g.name for g in definitions.group_id.with_context(lang="en_US")]
        translations = {}
        for lang, _name in self.env["res.lang"].get_installed():
            if lang == "en_US":
                continue
            translated = list(self.with_context(lang=lang)._view_labels().values())
            translated += [d.name for d in definitions.with_context(lang=lang)]
            translated += [g.name for g in definitions.group_id.with_context(lang=lang)]
            terms = {en: tr for en, tr in zip(english, translated, strict=True) if en and tr and en != tr}
            if terms:
                translations[lang] = terms
        return translations

    @api.model
    def _regenerate_views(self, model_name):
        """(Re)write the inherited views that show the custom fields of
        ``model_name``: a form page grouped by purpose, hidden list columns,
        and search fields with group-by filters."""
        self = self.with_context(lang="en_US")
        labels = self._view_labels()
        definitions = self.sudo().search([("model", "=", model_name), ("field_id", "!=", False)])
        target = TARGETS[model_name]

        page = E.page(name="crm_custom_fields", string=labels["page"])
        groups = {}
        for definition in definitions.sorted(lambda d: (d.group_id.sequence, d.group_id.id, d.sequence, d.id)):
            if definition.group_id not in groups:
                group = E.group(name=f"crm_custom_group_{definition.group_id.id or 0}")
                group.set("string", definition.group_id.name or labels["other"])
                groups[definition.group_id] = group
                page.append(group)
            groups[definition.group_id].append(definition._form_field())
        form = E.data(E.xpath(page, expr="//notebook", position="inside"))

        columns = E.xpath(expr="//list", position="inside")
        search = E.xpath(expr="//search", position="inside")
        group_by = E.group(name="crm_custom_group_by", string=labels["page"])
        for definition in definitions:
            if definition.field_type != "text":
                column = E.field(name=definition.field_name, optional="hide")
                if definition.field_type == "tags":
                    column.set("widget", "many2many_tags")
                columns.append(column)
            if definition.field_type == "boolean":
                search.append(
                    E.filter(
                        name=f"crm_custom_filter_{definition.key}",
                        string=definition.name,
                        domain=f"[('{definition.field_name}', '=', True)]",
                    )
                )
            else:
                search.append(E.field(name=definition.field_name))
            if definition.field_type not in ("text", "tags"):
                group_by.append(
                    E.filter(
                        name=f"crm_custom_groupby_{definition.key}",
                        string=definition.name,
                        context=f"{{'group_by': '{definition.field_name}'}}",
                    )
                )
        search.append(group_by)
        archs = {
            "form": form if definitions else None,
            "list": E.data(columns) if definitions else None,
            "search": E.data(search) if definitions else None,
        }
        View = self.env["ir.ui.view"].sudo()
        translations = self._view_translations(definitions)
        for kind, arch in archs.items():
            parent = self.env.ref(target[kind])
            name = f"{model_name}.{kind}.custom_fields.crm_client_suite"
            view = View.with_context(active_test=False).search([("name", "=", name), ("inherit_id", "=", parent.id)])
            if arch is None:
                view.unlink()
                continue
            arch_db = etree.tostring(arch, encoding="unicode")
            if view:
                view.write({"arch_db": arch_db, "active": True})
            else:
                view = View.create(
                    {
                        "name": name,
                        "model": model_name,
                        "inherit_id": parent.id,
                        "mode": "extension",
                        "priority": 99,
                        "arch_db": arch_db,
                    }
                )
            if translations:
                view.update_field_translations("arch_db", translations)
