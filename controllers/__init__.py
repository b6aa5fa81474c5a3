from . import client_portal
