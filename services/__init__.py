"""OneDoor services. Each subpackage is one service; ``common`` is a library they share and
``launcher`` the command line. No service imports another service."""
