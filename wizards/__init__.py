
from . import crm_automation_enrol
from . import crm_automation_preview
