"""Give crm back its stock stages, which 18.0.1.0.0 deleted at install.

18.0.1.0.0 moved the deals of crm's four stock stages to four stages of its own
(``crm_client_suite.stage_lead``, ``stage_qualified``, ``stage_proposal`` and
``stage_closed_won``) and deleted crm's, xml ids included. From 18.0.1.1.0 on,
those four columns are crm's stages under crm's xml ids. The records that play
their part today are the add-on's own, so their xml ids are handed over to crm:
other modules, their data and tests, and the users' customisations that name
``crm.stage_lead1`` to ``crm.stage_lead4`` find a stage again, and uninstalling
the add-on keeps them. Where crm's stage survived (a team-specific one, which
18.0.1.0.0 left alone), it keeps its xml id, and the add-on's stage stays as a
column without xml id. Nothing is deleted, and every deal stays where it is.

Before the update: an xml id of the add-on that its data no longer declares
would make the update delete the stage it names.
"""

from odoo.tools import SQL

CRM_XMLIDS = {
    "stage_lead": "stage_lead1",
    "stage_qualified": "stage_lead2",
    "stage_proposal": "stage_lead3",
    "stage_closed_won": "stage_lead4",
}


def migrate(cr, version):
    for ours, crm in CRM_XMLIDS.items():
        cr.execute(SQL("SELECT 1 FROM ir_model_data WHERE module = 'crm' AND name = %s", crm))
        if cr.fetchone():
            cr.execute(
                SQL(
                    "DELETE FROM ir_model_data WHERE module = 'crm_client_suite' AND name = %s AND model = 'crm.stage'",
                    ours,
                )
            )
        else:
            cr.execute(
                SQL(
                    """
                    UPDATE ir_model_data
                       SET module = 'crm', name = %s, noupdate = TRUE
                     WHERE module = 'crm_client_suite' AND name = %s AND model = 'crm.stage'
                    """,
                    crm,
                    ours,
                )
            )
