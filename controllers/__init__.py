from . import client_portal
from . import contact_form
from . import automation_tracking
