"""The people's screens (issue 10): server-rendered pages in Chinese (English on a switch),
served by intake on the window's address. Pages read and change everything through the
services' own HTTP APIs (``peers.py``), as the signed-in person: the APIs stay the source of
truth and of every access decision."""
