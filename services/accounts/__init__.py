"""Who is who: staff accounts, their credentials and roles (see ``domain``)."""
