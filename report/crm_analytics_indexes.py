from odoo.tools import SQL
from odoo.tools.sql import index_exists


def create_covering_index(cr, indexname, tablename, keys, include, where=""):
    """Create a btree index on ``keys`` that also holds the ``include`` columns, unless it exists.

    A report's grouped read then scans the index alone (an index-only scan), not the wide rows of
    its table: the reports read a few columns of a million deals or partners."""
    if index_exists(cr, indexname):
        return
    cr.execute(
        SQL(
            "CREATE INDEX %s ON %s (%s) INCLUDE (%s)%s",
            SQL.identifier(indexname),
            SQL.identifier(tablename),
            SQL(", ").join(SQL.identifier(key) for key in keys),
            SQL(", ").join(SQL.identifier(column) for column in include),
            SQL(" WHERE %s", SQL(where)) if where else SQL(),
        )
    )
