"""Departments: one program, run once per department, each with its own consumer and database."""
