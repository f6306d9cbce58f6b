"""Intake: the window's front door (registration) and its combined view of every application."""
