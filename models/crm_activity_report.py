from odoo import fields, models
from odoo.tools import SQL

STATES = [("planned", "Planned"), ("overdue", "Overdue"), ("done", "Done")]


class CrmSalespersonActivityReport(models.Model):
    """Activities per salesperson, type and week: the planned and overdue
    ones still open (their deadline) and the done ones (the day they were
    marked done), each saying who assigned it, so a manager sees what each
    salesperson has on their plate and what they delegated to others.

    A done activity is the message Odoo posts when it is marked done; the
    assignee and the assigner are kept on that message (``mail.message``
    ``crm_activity_user_id`` / ``crm_activity_assigner_id``). Older done
    messages count for their author.
    """

    _name = "crm.salesperson.activity.report"
    _description = "Activity Report per Salesperson"
    _auto = False
    _rec_name = "activity_type_id"
    _order = "date desc, id desc"

    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    assigned_by_id = fields.Many2one("res.users", readonly=True)
    is_delegated = fields.Boolean(string="Delegated", readonly=True, help="Assigned by one user to another.")
    activity_type_id = fields.Many2one("mail.activity.type", readonly=True)
    state = fields.Selection(STATES, readonly=True)
    date = fields.Date(readonly=True, help="The deadline of an open activity, the day a done one was done.")
    summary = fields.Char(readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)
    count_planned = fields.Integer(string="Planned", readonly=True, aggregator="sum")
    count_overdue = fields.Integer(string="Overdue", readonly=True, aggregator="sum")
    count_done = fields.Integer(string="Done", readonly=True, aggregator="sum")
    count_delegated = fields.Integer(string="Delegated to Others", readonly=True, aggregator="sum")

    def _query(self):
        activities_done = self.env.ref("mail.mt_activities", raise_if_not_found=False)
        return SQL(
            """
            SELECT a.id * 2 AS id, a.user_id, a.create_uid AS assigned_by_id,
                   a.create_uid IS NOT NULL AND a.create_uid IS DISTINCT FROM a.user_id AS is_delegated,
                   a.activity_type_id,
                   CASE WHEN a.date_deadline < CURRENT_DATE THEN 'overdue' ELSE 'planned' END AS state,
                   a.date_deadline AS date, a.summary, a.res_model, a.res_id
              FROM mail_activity a
             WHERE a.active AND a.user_id IS NOT NULL
             UNION ALL
            SELECT m.id * 2 + 1, doer.user_id, m.crm_activity_assigner_id,
                   m.crm_activity_assigner_id IS NOT NULL
                   AND m.crm_activity_assigner_id IS DISTINCT FROM doer.user_id,
                   m.mail_activity_type_id, 'done', (m.date AT TIME ZONE 'UTC')::date,
                   m.subject, m.model, m.res_id
              FROM mail_message m
              CROSS JOIN LATERAL (
                    SELECT COALESCE(m.crm_activity_user_id,
                                    (SELECT u.id FROM res_users u WHERE u.partner_id = m.author_id
                                      ORDER BY u.active DESC, u.id LIMIT 1)) AS user_id
              ) doer
             WHERE m.mail_activity_type_id IS NOT NULL AND m.subtype_id = %(subtype)s
               AND m.message_type = 'notification' AND doer.user_id IS NOT NULL
            """,
            subtype=activities_done.id if activities_done else 0,
        )

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    SELECT r.*,
                           (r.state = 'planned')::int AS count_planned,
                           (r.state = 'overdue')::int AS count_overdue,
                           (r.state = 'done')::int AS count_done,
                           r.is_delegated::int AS count_delegated
                      FROM (%(query)s) r
                )
                """,
                view=SQL.identifier(self._table),
                query=self._query(),
            )
        )

    def action_open_document(self):
        """The record the activity is on, when the user may read it."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists()
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "views": [(False, "form")],
            "target": "current",
        }
