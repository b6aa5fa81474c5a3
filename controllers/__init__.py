from . import contact_form
