from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext
from odoo.tools.sql import escape_psql

PAGE_SIZE = 40
SNIPPET = 300
# The kinds of entries, in the order of the timeline's type filter.
ENTRY_TYPES = [
    ("email_in", "Email In"),
    ("email_out", "Email Out"),
    ("note", "Note"),
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("chat", "Chat"),
    ("ticket", "Ticket"),
    ("activity", "Other Activity"),
    ("tracking", "Field Change"),
    ("stage", "Stage Change"),
    ("outreach", "Outreach"),
    ("automation", "Automation"),
    ("document", "Document"),
]


class CrmTimeline(models.AbstractModel):
    """One chronological timeline per contact and per client.

    A client's timeline holds the entries of the client, of its contacts and
    of their deals; a contact's, those of the contact and of its deals. One
    SQL ``UNION ALL`` over the sources (chatter messages with their tracking
    values and done activities, planned activities, outreach, stage history,
    automation steps, quotations and invoices, the attachments of the
    messages as documents) returns one page, newest first; only that page is
    then read in full.

    Access: the contacts and deals come from ``_search`` as the current user,
    so record rules (ownership, Team Isolation) decide which ones count; the
    quotations and invoices likewise. Nothing of a record the user may not
    read reaches the timeline.
    """

    _name = "crm.timeline"
    _description = "Contact and Client Timeline"

    @api.model
    def get_entry_types(self):
        """[(key, label)] of the type filter, translated."""
        labels = {
            "email_in": self.env._("Email In"),
            "email_out": self.env._("Email Out"),
            "note": self.env._("Note"),
            "call": self.env._("Call"),
            "meeting": self.env._("Meeting"),
            "chat": self.env._("Chat"),
            "ticket": self.env._("Ticket"),
            "activity": self.env._("Other Activity"),
            "tracking": self.env._("Field Change"),
            "stage": self.env._("Stage Change"),
            "outreach": self.env._("Outreach"),
            "automation": self.env._("Automation"),
            "document": self.env._("Document"),
        }
        return [(key, labels[key]) for key, _label in ENTRY_TYPES]

    @api.model
    def get_filter_options(self, partner_id):
        """The choices of the contact, deal and author filters of the
        timeline of ``partner_id``: ``{"contacts", "deals", "authors"}``,
        each a list of (id, name), only of what the user may read."""
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise UserError(self.env._("This contact or client does not exist anymore."))
        partner.check_access("read")
        partners, leads = self._scope(partner)
        contacts = self.env["res.partner"].search([("id", "in", partners), ("id", "!=", partner.id)], order="name")
        deals = self.env["crm.lead"].with_context(active_test=False).search([("id", "in", leads)], order="name")
        self.env["mail.message"].flush_model()
        self.env["mail.activity"].flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT t.author_id FROM (%s) t WHERE t.author_id IS NOT NULL",
                SQL(" UNION ALL ").join(self._source_queries(partners, leads)),
            )
        )
        authors = self.env["res.partner"].sudo().browse([row[0] for row in rows]).exists().sorted("name")
        return {
            "contacts": [(c.id, c.display_name) for c in contacts],
            "deals": [(d.id, self._deal_label(d.display_name, d.crm_reference)) for d in deals],
            "authors": [(a.id, a.display_name) for a in authors],
        }

    def _deal_label(self, name, reference):
        """How the timeline names a deal: "[D00042] Obra nueva Madrid"."""
        if not reference:
            return name
        return self.env._("[%(reference)s] %(name)s", reference=reference, name=name)

    # The records a timeline covers --------------------------------------------

    @api.model
    def _scope(self, partner, contact_id=None, deal_id=None):
        """(partner ids query, deal ids query) the timeline of ``partner``
        covers, as the current user may read them, narrowed by the contact
        and deal filters."""
        Partner = self.env["res.partner"]
        Lead = self.env["crm.lead"].with_context(active_test=False)
        if partner.is_company:
            partners = Partner._search([("id", "child_of", partner.id)])
        else:
            partners = Partner._search([("id", "=", partner.id)])
        if deal_id:
            return Partner._search([("id", "=", False)]), Lead._search(
                [("id", "=", deal_id), ("partner_id", "in", partners)]
            )
        if contact_id:
            partners = Partner._search([("id", "=", contact_id), ("id", "in", partners)])
        return partners, Lead._search([("partner_id", "in", partners)])

    # The sources ---------------------------------------------------------------

    def _activity_kind_sql(self, type_alias):
        ref = self.env.ref
        chat = ref("crm_client_suite.mail_activity_type_chat", raise_if_not_found=False)
        ticket = ref("crm_client_suite.mail_activity_type_ticket", raise_if_not_found=False)
        email = ref("mail.mail_activity_data_email", raise_if_not_found=False)
        alias = SQL.identifier(type_alias)
        return SQL(
            """CASE WHEN %(t)s.category = 'phonecall' THEN 'call'
                    WHEN %(t)s.category = 'meeting' THEN 'meeting'
                    WHEN %(t)s.id = %(chat)s THEN 'chat'
                    WHEN %(t)s.id = %(ticket)s THEN 'ticket'
                    WHEN %(t)s.id = %(email)s THEN 'email_out'
                    ELSE 'activity' END""",
            t=alias,
            chat=chat.id if chat else 0,
            ticket=ticket.id if ticket else 0,
            email=email.id if email else 0,
        )

    def _documents_sql(self, partners, leads):
        """SQL selecting (model, id) of the records the timeline covers."""
        return SQL(
            "SELECT 'res.partner' AS model, id FROM res_partner WHERE id IN %s "
            "UNION ALL SELECT 'crm.lead', id FROM crm_lead WHERE id IN %s",
            partners.subselect(),
            leads.subselect(),
        )

    def _attachments_sql(self, partners, leads):
        """SQL selecting (message_id, attachment_id) of the attachments of the
        messages on the records the timeline covers: the client's, its
        contacts' and its deals' documents."""
        return SQL(
            """
            SELECT rel.message_id, rel.attachment_id
              FROM message_attachment_rel rel
              JOIN mail_message m ON m.id = rel.message_id
              JOIN (%(documents)s) d ON d.model = m.model AND d.id = m.res_id
            """,
            documents=self._documents_sql(partners, leads),
        )

    @api.model
    def _document_ids(self, partner):
        """Ids of the attachments of the emails and notes on ``partner``, its
        contacts and its deals, as far as the current user may read those."""
        partners, leads = self._scope(partner)
        self.env["mail.message"].flush_model()
        rows = self.env.execute_query(
            SQL("SELECT DISTINCT attachment_id FROM (%s) t", self._attachments_sql(partners, leads))
        )
        return [row[0] for row in rows]

    def _messages_sql(self, scope):
        """The timeline's columns of the messages that ``scope`` (joins on
        ``mail_message m``) selects."""
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        return SQL(
            """
            SELECT CASE WHEN m.mail_activity_type_id IS NOT NULL THEN %(activity_kind)s
                        WHEN m.message_type = 'email' THEN 'email_in'
                        WHEN m.message_type = 'email_outgoing' THEN 'email_out'
                        WHEN m.message_type = 'comment' AND NOT COALESCE(st.internal, FALSE) THEN
                            CASE WHEN EXISTS (SELECT 1 FROM res_users u
                                               WHERE u.partner_id = m.author_id AND NOT u.share)
                                 THEN 'email_out' ELSE 'email_in' END
                        WHEN m.message_type = 'notification'
                             AND EXISTS (SELECT 1 FROM mail_tracking_value v WHERE v.mail_message_id = m.id)
                             THEN 'tracking'
                        ELSE 'note' END AS kind,
                   'mail.message' AS source_model, m.id AS source_id, m.date AS date,
                   m.author_id AS author_id, m.model AS res_model, m.res_id AS res_id,
                   COALESCE(m.subject, '') AS title, m.body::text AS search_text
              FROM mail_message m
              %(scope)s
         LEFT JOIN mail_message_subtype st ON st.id = m.subtype_id
         LEFT JOIN mail_activity_type at ON at.id = m.mail_activity_type_id
             WHERE m.message_type IN ('email', 'email_outgoing', 'comment', 'notification', 'auto_comment')
               -- a stage change is the stage history's entry, not a tracking one
               AND NOT (m.model = 'crm.lead' AND m.message_type = 'notification'
                        AND EXISTS (SELECT 1 FROM mail_tracking_value v
                                     WHERE v.mail_message_id = m.id AND v.field_id = %(stage_field)s)
                        AND NOT EXISTS (SELECT 1 FROM mail_tracking_value v
                                         WHERE v.mail_message_id = m.id AND v.field_id != %(stage_field)s))
            """,
            activity_kind=self._activity_kind_sql("at"),
            scope=scope,
            stage_field=stage_field.id,
        )

    def _source_queries(self, partners, leads):
        """One SQL per source, each selecting the columns (kind, source_model,
        source_id, date, author_id (a partner), res_model, res_id, title,
        search_text); extend it to add a source."""
        # the messages on the records covered; and the emails the covered
        # contacts wrote on the other deals of their client (the mail gateway
        # puts an email about the client's deal there, not on the contact)
        own = SQL("JOIN (%s) d ON d.model = m.model AND d.id = m.res_id", self._documents_sql(partners, leads))
        authored = SQL(
            """
            JOIN crm_lead l ON m.model = 'crm.lead' AND l.id = m.res_id
            JOIN res_partner lp ON lp.id = l.partner_id
            JOIN res_partner ap ON ap.id = m.author_id AND ap.commercial_partner_id = lp.commercial_partner_id
             AND m.author_id IN %s AND l.id NOT IN %s AND l.id IN %s
            """,
            partners.subselect(),
            leads.subselect(),
            self.env["crm.lead"].with_context(active_test=False)._search([]).subselect(),
        )
        queries = [
            self._messages_sql(own),
            self._messages_sql(authored),
            SQL(
                """
                SELECT %(activity_kind)s, 'mail.activity', a.id, a.date_deadline::timestamp,
                       u.partner_id, a.res_model, a.res_id,
                       COALESCE(a.summary, ''), COALESCE(a.note::text, '')
                  FROM mail_activity a
                  JOIN (%(documents)s) d ON d.model = a.res_model AND d.id = a.res_id
             LEFT JOIN mail_activity_type at ON at.id = a.activity_type_id
             LEFT JOIN res_users u ON u.id = a.user_id
                 -- a done activity kept by its type is its done message's entry
                 WHERE a.active
                """,
                activity_kind=self._activity_kind_sql("at"),
                documents=self._documents_sql(partners, leads),
            ),
            SQL(
                """
                SELECT 'outreach', 'crm.outreach', o.id, o.date, u.partner_id,
                       CASE WHEN o.lead_id IN %(leads)s THEN 'crm.lead' ELSE 'res.partner' END,
                       CASE WHEN o.lead_id IN %(leads)s THEN o.lead_id ELSE o.partner_id END,
                       o.summary, o.summary
                  FROM crm_outreach o
             LEFT JOIN res_users u ON u.id = o.user_id
                 WHERE (o.partner_id IN %(partners)s OR o.lead_id IN %(leads)s)
                   -- outreach logged from a message (an email, a done activity) is that
                   -- message's entry already
                   AND o.event_key IS NULL
                """,
                partners=partners.subselect(),
                leads=leads.subselect(),
            ),
            SQL(
                """
                SELECT 'stage', 'crm.deal.stage.history', h.id, h.date_in, u.partner_id,
                       'crm.lead', h.lead_id, COALESCE(s.name->>'en_US', ''), COALESCE(s.name::text, '')
                  FROM crm_deal_stage_history h
             LEFT JOIN crm_stage s ON s.id = h.stage_id
             LEFT JOIN res_users u ON u.id = h.user_id
                 WHERE h.lead_id IN %(leads)s
                """,
                leads=leads.subselect(),
            ),
            SQL(
                """
                SELECT 'automation', 'crm.automation.run.step', rs.id, rs.date, NULL::int,
                       r.res_model, r.res_id, COALESCE(step.name->>'en_US', ''),
                       COALESCE(rs.message, '') || ' ' || COALESCE(step.name::text, '')
                  FROM crm_automation_run_step rs
                  JOIN crm_automation_run r ON r.id = rs.run_id
                  JOIN (%(documents)s) d ON d.model = r.res_model AND d.id = r.res_id
             LEFT JOIN crm_automation_step step ON step.id = rs.step_id
                """,
                documents=self._documents_sql(partners, leads),
            ),
            SQL(
                """
                SELECT 'document', 'ir.attachment', att.id, m.date, m.author_id,
                       m.model, m.res_id, COALESCE(att.name, ''), COALESCE(att.name, '')
                  FROM (%(attachments)s) rel
                  JOIN ir_attachment att ON att.id = rel.attachment_id
                  JOIN mail_message m ON m.id = rel.message_id
                """,
                attachments=self._attachments_sql(partners, leads),
            ),
        ]
        if "sale.order" in self.env and self.env["sale.order"].has_access("read"):
            orders = self.env["sale.order"]._search(
                ["|", ("partner_id", "in", partners), ("opportunity_id", "in", leads)]
            )
            queries.append(
                SQL(
                    """
                    SELECT 'document', 'sale.order', so.id, so.date_order, u.partner_id,
                           CASE WHEN so.opportunity_id IN %(leads)s THEN 'crm.lead' ELSE 'res.partner' END,
                           CASE WHEN so.opportunity_id IN %(leads)s THEN so.opportunity_id ELSE so.partner_id END,
                           so.name, so.name
                      FROM sale_order so
                 LEFT JOIN res_users u ON u.id = so.user_id
                     WHERE so.id IN %(orders)s
                    """,
                    leads=leads.subselect(),
                    orders=orders.subselect(),
                )
            )
        if "account.move" in self.env and self.env["account.move"].has_access("read"):
            moves = self.env["account.move"]._search(
                [("partner_id", "in", partners), ("move_type", "in", ("out_invoice", "out_refund"))]
            )
            queries.append(
                SQL(
                    """
                    SELECT 'document', 'account.move', am.id, COALESCE(am.invoice_date::timestamp, am.create_date),
                           u.partner_id, 'res.partner', am.partner_id, COALESCE(am.name, ''), COALESCE(am.name, '')
                      FROM account_move am
                 LEFT JOIN res_users u ON u.id = am.invoice_user_id
                     WHERE am.id IN %(moves)s
                    """,
                    moves=moves.subselect(),
                )
            )
        return queries

    # The page ------------------------------------------------------------------

    @api.model
    def get_page(self, partner_id, filters=None, offset=0, limit=PAGE_SIZE):
        """One page of the timeline of the contact or client ``partner_id``,
        newest first: ``{"entries": [...], "has_more": bool}``.

        ``filters``: ``types`` (keys of ENTRY_TYPES), ``contact_id``,
        ``deal_id``, ``author_id`` (a partner), ``date_from`` and ``date_to``
        (dates, inclusive), ``search`` (words searched in the entries and in
        the references of their deals).
        """
        filters = filters or {}
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise UserError(self.env._("This contact or client does not exist anymore."))
        partner.check_access("read")
        limit = max(1, min(int(limit or PAGE_SIZE), 200))
        partners, leads = self._scope(partner, filters.get("contact_id"), filters.get("deal_id"))
        self.env["mail.message"].flush_model()
        self.env["mail.activity"].flush_model()
        conditions = [SQL("TRUE")]
        if filters.get("types"):
            conditions.append(SQL("t.kind IN %s", tuple(filters["types"])))
        if filters.get("author_id"):
            conditions.append(SQL("t.author_id = %s", int(filters["author_id"])))
        if filters.get("date_from"):
            conditions.append(SQL("t.date >= %s", fields.Date.to_date(filters["date_from"])))
        if filters.get("date_to"):
            conditions.append(SQL("t.date < %s::date + 1", fields.Date.to_date(filters["date_to"])))
        words = (filters.get("search") or "").split()
        for word in words:
            # an entry of a deal is also found by the deal's reference; the
            # deals in the union are those the user may read
            # (the words themselves, not wildcards; the bodies' text, not their tags)
            pattern = f"%{escape_psql(word)}%"
            conditions.append(
                SQL(
                    "(t.title ILIKE %s OR regexp_replace(t.search_text, '<[^>]*>', ' ', 'g') ILIKE %s"
                    " OR deal.crm_reference ILIKE %s)",
                    pattern,
                    pattern,
                    pattern,
                )
            )
        deal_join = SQL()
        if words:
            self.env["crm.lead"].flush_model(["crm_reference"])
            deal_join = SQL("LEFT JOIN crm_lead deal ON t.res_model = 'crm.lead' AND deal.id = t.res_id")
        rows = self.env.execute_query(
            SQL(
                """
                SELECT t.kind, t.source_model, t.source_id, t.date, t.author_id, t.res_model, t.res_id
                  FROM (%s) t
                  %s
                 WHERE %s
                 ORDER BY t.date DESC NULLS LAST, t.source_model, t.source_id DESC
                 LIMIT %s OFFSET %s
                """,
                SQL(" UNION ALL ").join(self._source_queries(partners, leads)),
                deal_join,
                SQL(" AND ").join(conditions),
                limit + 1,
                max(0, int(offset or 0)),
            )
        )
        return {"entries": self._read_entries(rows[:limit]), "has_more": len(rows) > limit}

    def _read_entries(self, rows):
        """The entries of ``rows``, with what the timeline shows, read in one
        batch per source and per linked model."""
        by_source = {}
        for _kind, source_model, source_id, *_rest in rows:
            by_source.setdefault(source_model, []).append(source_id)
        details = {}
        for source_model, ids in by_source.items():
            records = self.env[source_model].sudo().browse(ids)
            method = getattr(self, "_describe_" + source_model.replace(".", "_"))
            details.update({(source_model, rid): value for rid, value in method(records).items()})
        names = {}
        linked = {}
        for _kind, _sm, _sid, _date, author_id, res_model, res_id in rows:
            linked.setdefault(res_model, set()).add(res_id)
            if author_id:
                linked.setdefault("res.partner", set()).add(author_id)
        references = {}
        for model, ids in linked.items():
            records = self.env[model].sudo().with_context(active_test=False).browse(ids).exists()
            names[model] = dict(zip(records.ids, records.mapped("display_name"), strict=True))
            if model == "crm.lead":
                # read with the names, in the same query: the deals of the
                # entries are those of the timeline's scope, which the user may read
                references = dict(zip(records.ids, records.mapped("crm_reference"), strict=True))
        entries = []
        for kind, source_model, source_id, date, author_id, res_model, res_id in rows:
            title, body, extra = details.get((source_model, source_id), ("", "", {}))
            if source_model in ("mail.message", "mail.activity", "ir.attachment"):
                extra = {"open_model": res_model, "open_id": res_id, **extra}
            entries.append(
                {
                    "key": f"{source_model},{source_id}",
                    "type": kind,
                    "date": fields.Datetime.to_string(date),
                    "author_id": author_id or False,
                    "author": names["res.partner"].get(author_id, "") if author_id else "",
                    "title": title,
                    "body": body,
                    "res_model": res_model,
                    "res_id": res_id,
                    "res_name": names.get(res_model, {}).get(res_id, ""),
                    # the deal's reference for an entry of a deal, else ""
                    "res_reference": (references.get(res_id) or "") if res_model == "crm.lead" else "",
                    # the deal the reference opens: one of the timeline's scope, which the user may read
                    "deal_id": res_id if res_model == "crm.lead" and res_id in references else False,
                    "source_model": source_model,
                    "source_id": source_id,
                    "open_model": source_model,
                    "open_id": source_id,
                    **extra,
                }
            )
        return entries

    @staticmethod
    def _snippet(html):
        text = html2plaintext(html or "").strip()
        return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"

    def _delivery_states(self, messages):
        """{message id: (state, label)} of the emails sent by ``messages``,
        from their notifications: bounced, failed, sent or queued, the worst
        recipient first."""
        labels = {
            "bounced": self.env._("Bounced"),
            "failed": self.env._("Failed"),
            "sent": self.env._("Sent"),
            "queued": self.env._("Queued"),
        }
        by_status = {"bounce": "bounced", "exception": "failed", "sent": "sent", "ready": "queued", "process": "queued"}
        order = ["bounced", "failed", "queued", "sent"]
        states = {}
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .search([("mail_message_id", "in", messages.ids), ("notification_type", "=", "email")])
        )
        for notification in notifications:
            state = by_status.get(notification.notification_status)
            if not state:
                continue
            current = states.get(notification.mail_message_id.id)
            if current is None or order.index(state) < order.index(current):
                states[notification.mail_message_id.id] = state
        return {message_id: (state, labels[state]) for message_id, state in states.items()}

    def _describe_mail_message(self, messages):
        trackings = {}
        # as the chatter does: only the changes of fields the reader may see;
        # a deal's stage change is the stage history's own entry
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        for value in messages.tracking_value_ids._filter_has_field_access(self.env):
            if value.field_id != stage_field:
                trackings.setdefault(value.mail_message_id.id, []).append(value)
        delivery = self._delivery_states(messages)
        result = {}
        for message in messages:
            changes = [
                self.env._(
                    "%(field)s: %(old)s → %(new)s",
                    field=value.field_id.field_description or value.field_id.name,
                    old=value._format_display_value(value.field_id.ttype, new=False)[0] or "",
                    new=value._format_display_value(value.field_id.ttype, new=True)[0] or "",
                )
                for value in trackings.get(message.id, ())
            ]
            title = message.subject or message.mail_activity_type_id.name or message.subtype_id.name or ""
            body = self._snippet(message.body)
            if changes:
                body = "\n".join(filter(None, [body, *changes]))
            extra = {"attachments": len(message.attachment_ids)}
            if message.id in delivery:
                extra["delivery_state"], extra["delivery_label"] = delivery[message.id]
            result[message.id] = (title, body, extra)
        return result

    def _describe_mail_activity(self, activities):
        return {
            activity.id: (
                activity.summary or activity.activity_type_id.name,
                self._snippet(activity.note),
                {"planned": True, "state": activity.state},
            )
            for activity in activities
        }

    def _describe_crm_outreach(self, outreach):
        channels = dict(outreach._fields["channel"]._description_selection(self.env))
        outcomes = dict(outreach._fields["outcome"]._description_selection(self.env))
        return {
            o.id: (
                o.summary,
                " · ".join(filter(None, [channels.get(o.channel), outcomes.get(o.outcome)])),
                {"direction": o.direction},
            )
            for o in outreach
        }

    def _describe_crm_deal_stage_history(self, history):
        return {
            h.id: (
                self.env._("Stage: %(stage)s", stage=h.stage_id.name or ""),
                h.lead_id.name,
                {"open_model": "crm.lead", "open_id": h.lead_id.id},
            )
            for h in history
        }

    def _describe_crm_automation_run_step(self, steps):
        results = dict(steps._fields["result"]._description_selection(self.env))
        return {
            step.id: (
                step.run_id.automation_id.name,
                " · ".join(filter(None, [step.step_id.name, results.get(step.result), step.message])),
                {"open_model": "crm.automation.run", "open_id": step.run_id.id},
            )
            for step in steps
        }

    def _describe_ir_attachment(self, attachments):
        return {
            att.id: (
                att.name,
                att.mimetype or "",
                {"url": f"/web/content/{att.id}?download=true"},
            )
            for att in attachments
        }

    def _describe_sale_order(self, orders):
        states = dict(orders._fields["state"]._description_selection(self.env))
        return {
            order.id: (
                order.name,
                f"{states.get(order.state)} · {order.amount_total} {order.currency_id.name}",
                {"state": order.state},
            )
            for order in orders
        }

    def _describe_account_move(self, moves):
        states = dict(moves._fields["state"]._description_selection(self.env))
        return {
            move.id: (
                move.name,
                f"{states.get(move.state)} · {move.amount_total} {move.currency_id.name}",
                {"state": move.state},
            )
            for move in moves
        }
