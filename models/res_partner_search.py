"""Typed partner search through a table of word starts.

What a typed term finds is described in readme/USAGE.md (*Finding a
partner*): one or two letters match the start of a word of the name or the
start of the email, reference, tax ID or company registry
(``_crm_prefix_search_domain``); longer terms match anywhere, and the
dropdown lists first the partners with a word of the name that starts with
them. Trigrams cannot serve the short terms, and an ordered walk of the
partners cannot serve the common ones: display order is by first name, so the
partners of a surname or a first name cluster far down it.

``res_partner_crm_search_prefix`` holds, per partner, its keys: the starts of
one and two letters of every word of the name and of the other searched
columns, the starts of three letters of the words of the name, and those
words whole; lowercased and unaccented as Odoo's ``ilike`` compares them,
beside the partner's ``complete_name``. Its index on (key, complete_name,
partner id descending) lists the partners of a key in display order, so the
first page of a term is the first rows of that index (merged over the words a
longer term starts) that pass the caller's domain. Partners with a word that
starts with a longer term but too few for a page make the term rare: the
trigram indexes then find the partners that contain it (res_partner.py).

PostgreSQL triggers keep the table current once per statement, with
transition tables (an import of 10,000 partners costs a few statements, not a
query per partner), for the ORM's writes, raw SQL and COPY alike. Merging
partners unlinks the merged ones: the delete trigger drops their rows. The
table has no foreign key on purpose: the merge wizard re-points every foreign
key to res_partner at the kept partner, which would hand it the merged
partners' words.
"""

from odoo import api, models
from odoo.tools import SQL

from .res_partner import DISPLAY_ORDER, NAME_SEARCH_MIN_INFIX

PREFIX_TABLE = "res_partner_crm_search_prefix"
# Each word is stored as its starts of one to PREFIX_LENGTH letters, and as
# itself when longer: a term of up to PREFIX_LENGTH letters is one key, a
# longer one the few words it starts.
PREFIX_LENGTH = 3
# A longer term that starts more distinct words than this (a common start of
# generated codes) is left to the trigram and ordered-walk paths.
PREFIX_MAX_WORDS = 50
# The columns whose start a term matches; the words of complete_name too.
# They must cover res.partner's ``_rec_names_search``, else typed searches
# keep the domain path.
PREFIX_COLUMNS = ("complete_name", "email", "ref", "vat", "company_registry")


class ResPartner(models.Model):
    _inherit = "res.partner"

    def init(self):
        res = super().init()
        self._crm_prefix_table_install()
        return res

    # Schema ------------------------------------------------------------------

    @api.model
    def _crm_prefix_normalize_sql(self, value):
        """SQL of ``value`` as stored in (and looked up from) the table: what
        ``ilike`` compares, lowercased."""
        return SQL("lower(%s)", self.env.registry.unaccent(value))

    @api.model
    def _crm_prefix_table_install(self):
        """The table, its indexes and triggers; the table is rebuilt when its
        definition changed (first install, unaccent installed since)."""
        cr = self.env.cr
        table = SQL.identifier(PREFIX_TABLE)
        unaccent = bool(self.env.registry.has_unaccent)
        version = f"keys:2:{PREFIX_LENGTH}:unaccent={unaccent}:columns={','.join(PREFIX_COLUMNS)}"
        cr.execute(SQL("SELECT obj_description(to_regclass(%s), 'pg_class')", PREFIX_TABLE))
        rebuild = cr.fetchone()[0] != version
        if rebuild:
            cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
            # The keys in bytes order (COLLATE "C"), so that the words a term
            # starts are a range of the index; sort_name keeps the collation
            # of complete_name, the display order.
            cr.execute(
                SQL(
                    'CREATE TABLE %s (partner_id integer NOT NULL, prefix varchar COLLATE "C" NOT NULL, '
                    "sort_name varchar)",
                    table,
                )
            )
        # The walk in display order of the terms left to res_partner.py: Odoo's
        # index is on complete_name alone, which leaves PostgreSQL to sort
        # each run of equal names (thousands of "María García") by id.
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (complete_name, id DESC)",
                SQL.identifier("res_partner_crm_display_order_index"),
                SQL.identifier(self._table),
            )
        )
        name_words = SQL(
            "SELECT unnest(string_to_array(%s, ' '))", self._crm_prefix_normalize_sql(SQL("p_complete_name"))
        )
        values = SQL(" UNION ALL ").join(
            SQL("SELECT %s", self._crm_prefix_normalize_sql(SQL(f"p_{column}"))) for column in PREFIX_COLUMNS
        )
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION res_partner_crm_search_prefixes(
                    p_complete_name text, p_email text, p_ref text, p_vat text, p_company_registry text
                ) RETURNS SETOF text LANGUAGE sql STABLE AS $body$
                    SELECT DISTINCT key FROM (
                        SELECT left(word, length)
                          FROM (%(name_words)s UNION ALL %(values)s) AS words(word),
                               generate_series(1, %(short)s) AS length
                         WHERE char_length(word) >= length
                        UNION ALL
                        SELECT CASE WHEN char_length(word) > %(long)s THEN word ELSE left(word, %(long)s) END
                          FROM (%(name_words)s) AS words(word)
                         WHERE char_length(word) >= %(long)s
                        UNION ALL
                        SELECT left(word, %(long)s)
                          FROM (%(name_words)s) AS words(word)
                         WHERE char_length(word) > %(long)s
                    ) AS keys(key)
                $body$
                """,
                name_words=name_words,
                values=values,
                short=NAME_SEARCH_MIN_INFIX - 1,
                long=PREFIX_LENGTH,
            )
        )
        columns = ", ".join(f"n.{column}" for column in PREFIX_COLUMNS)
        changed = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in PREFIX_COLUMNS)
        cr.execute(
            SQL(
                f"""
                CREATE OR REPLACE FUNCTION res_partner_crm_search_prefix_sync() RETURNS trigger
                LANGUAGE plpgsql AS $body$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO {PREFIX_TABLE} (partner_id, prefix, sort_name)
                             SELECT n.id, prefix, n.complete_name
                               FROM new_rows n, res_partner_crm_search_prefixes({columns}) AS prefix;
                    ELSIF TG_OP = 'DELETE' THEN
                        DELETE FROM {PREFIX_TABLE} t USING old_rows o WHERE t.partner_id = o.id;
                    ELSE
                        DELETE FROM {PREFIX_TABLE} t
                              USING old_rows o JOIN new_rows n ON n.id = o.id
                              WHERE t.partner_id = o.id AND ({changed});
                        INSERT INTO {PREFIX_TABLE} (partner_id, prefix, sort_name)
                             SELECT n.id, prefix, n.complete_name
                               FROM old_rows o JOIN new_rows n ON n.id = o.id,
                                    res_partner_crm_search_prefixes({columns}) AS prefix
                              WHERE {changed};
                    END IF;
                    RETURN NULL;
                END
                $body$
                """
            )
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            trigger = SQL.identifier(f"res_partner_crm_search_prefix_{event.lower()}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(self._table)))
            cr.execute(
                SQL(
                    f"CREATE TRIGGER %s AFTER {event} ON %s REFERENCING {tables} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION res_partner_crm_search_prefix_sync()",
                    trigger,
                    SQL.identifier(self._table),
                )
            )
        if rebuild:
            self._crm_prefix_table_fill()
            cr.execute(SQL("COMMENT ON TABLE %s IS %s", table, version))

    @api.model
    def _crm_prefix_table_uninstall(self):
        """Drop the triggers, their functions and the table (uninstall)."""
        cr = self.env.cr
        for event in ("insert", "update", "delete"):
            trigger = SQL.identifier(f"res_partner_crm_search_prefix_{event}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(self._table)))
        cr.execute("DROP FUNCTION IF EXISTS res_partner_crm_search_prefix_sync()")
        cr.execute("DROP FUNCTION IF EXISTS res_partner_crm_search_prefixes(text, text, text, text, text)")
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(PREFIX_TABLE)))

    @api.model
    def _crm_prefix_table_fill(self):
        """Fill the table from res_partner in one statement, then index it
        (faster than indexing as it fills). Only the columns it reads are
        flushed: it runs from ``init()``, while other models (res.users) may
        still lack the columns of this very update."""
        self.flush_model(PREFIX_COLUMNS)
        cr = self.env.cr
        table = SQL.identifier(PREFIX_TABLE)
        cr.execute(SQL("TRUNCATE %s", table))
        for index in ("order", "partner"):
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(f"{PREFIX_TABLE}_{index}_index")))
        columns = SQL(", ".join(f"p.{column}" for column in PREFIX_COLUMNS))
        cr.execute(
            SQL(
                """
                INSERT INTO %s (partner_id, prefix, sort_name)
                     SELECT p.id, prefix, p.complete_name
                       FROM res_partner p, res_partner_crm_search_prefixes(%s) AS prefix
                """,
                table,
                columns,
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX %s ON %s (prefix, sort_name, partner_id DESC)",
                SQL.identifier(f"{PREFIX_TABLE}_order_index"),
                table,
            )
        )
        cr.execute(SQL("CREATE INDEX %s ON %s (partner_id)", SQL.identifier(f"{PREFIX_TABLE}_partner_index"), table))
        cr.execute(SQL("ANALYZE %s", table))

    # Lookup ------------------------------------------------------------------

    @api.model
    def _crm_prefix_keys(self, term):
        """The table's keys that a typed ``term`` starts: itself when short,
        else the stored words it starts (as an SQL condition on the key when
        they are too many to list). None when the table cannot answer (a
        phone number, another display order or searched columns)."""
        term = term.strip()
        if not term or self._order != DISPLAY_ORDER or self._crm_is_phone_term(term):
            return None
        if not set(self._rec_names_search) <= set(PREFIX_COLUMNS):
            return None
        [[key]] = self.env.execute_query(SQL("SELECT %s", self._crm_prefix_normalize_sql(SQL("%s", term))))
        if not key or len(term) < NAME_SEARCH_MIN_INFIX <= len(key):
            # Nothing left, or unaccent() made a short term long ("ßß" is
            # "ssss"): the table has no such start of the other columns.
            return None
        # The triggers see what reached the table: pending writes first.
        self.flush_model(PREFIX_COLUMNS)
        if len(key) <= PREFIX_LENGTH:
            return [key]
        # The distinct words in the range that ``key`` starts, one index probe
        # each (a loose index scan).
        pattern = f"{self._crm_escape_like(key)}%"
        table = SQL.identifier(PREFIX_TABLE)
        rows = self.env.execute_query(
            SQL(
                """
                WITH RECURSIVE words(word) AS (
                    (SELECT prefix FROM %(table)s WHERE prefix LIKE %(pattern)s ORDER BY prefix LIMIT 1)
                    UNION ALL
                    SELECT (SELECT prefix FROM %(table)s
                             WHERE prefix > words.word AND prefix LIKE %(pattern)s ORDER BY prefix LIMIT 1)
                      FROM words WHERE words.word IS NOT NULL
                )
                SELECT word FROM words WHERE word IS NOT NULL LIMIT %(limit)s
                """,
                table=table,
                pattern=pattern,
                limit=PREFIX_MAX_WORDS + 1,
            )
        )
        if len(rows) > PREFIX_MAX_WORDS:
            # Too many words to merge their index scans: the range of them.
            return SQL("prefix LIKE %s", pattern)
        return [row[0] for row in rows]

    @api.model
    def _crm_prefix_first_ids(self, keys, domain, limit):
        """Ids of the first ``limit`` partners of ``domain`` in display order
        that have one of ``keys``: the table's index read in that order for
        each key, merged. None when ``domain`` needs joins."""
        query = self._search(domain)
        if query.is_empty() or keys == []:
            return []
        if query._joins:
            return None
        table = SQL.identifier(self._table)
        if isinstance(keys, SQL):
            conditions = [keys]
        else:
            conditions = [SQL("prefix = %s", key) for key in keys]
        branches = SQL(" UNION ALL ").join(
            SQL("(SELECT partner_id, sort_name FROM %s WHERE %s)", SQL.identifier(PREFIX_TABLE), condition)
            for condition in conditions
        )
        # A partner with two words of the term comes once per word.
        fetch = 3 * limit if isinstance(keys, SQL) or len(keys) > 1 else limit
        while True:
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT prefix.partner_id
                      FROM (%(branches)s) AS prefix
                      JOIN %(table)s ON %(table)s.id = prefix.partner_id
                     WHERE %(where)s
                  ORDER BY prefix.sort_name, prefix.partner_id DESC
                     LIMIT %(fetch)s
                    """,
                    branches=branches,
                    table=table,
                    where=query.where_clause or SQL("TRUE"),
                    fetch=fetch,
                )
            )
            ids = list(dict.fromkeys(row[0] for row in rows))
            if len(ids) >= limit or len(rows) < fetch:
                return ids[:limit]
            fetch *= 4

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """Partners with a word that starts with ``name`` first, in display
        order, read from the table; for a term of three letters or more, the
        other partners that contain it follow (res_partner.py)."""
        keys = None
        if operator == "ilike" and isinstance(name, str) and limit:
            keys = self._crm_prefix_keys(name)
        ids = None if keys is None else self._crm_prefix_first_ids(keys, args or [], limit)
        if ids is None:
            return super().name_search(name, args, operator, limit)
        records = self.browse(ids)
        found = [(record.id, record.display_name) for record in records.sudo()]
        if len(found) < limit and len(name.strip()) >= NAME_SEARCH_MIN_INFIX:
            # Fewer word starts than a page: a rare term, for the trigram
            # indexes first.
            others = [("id", "not in", ids), *(args or [])]
            rest = self.browse(self._crm_name_search_ids(name, others, limit - len(found), walk_first=False))
            found += [(record.id, record.display_name) for record in rest.sudo()]
        return found

    @api.model
    def _crm_typed_search_domain(self, value):
        """The search view's name filter and every ``display_name`` search of
        one or two letters: the partners of those word starts, from the
        table."""
        keys = self._crm_prefix_keys(value) if len(value.strip()) < NAME_SEARCH_MIN_INFIX else None
        if not isinstance(keys, list):
            return super()._crm_typed_search_domain(value)
        subquery = SQL(
            "(SELECT partner_id FROM %s WHERE prefix IN %s)", SQL.identifier(PREFIX_TABLE), tuple(keys or [""])
        )
        return [("id", "in", subquery)]
