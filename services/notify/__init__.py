"""Notify: tells the applicant and the window what the departments decided, and closes the case."""
