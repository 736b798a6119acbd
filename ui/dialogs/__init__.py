"""Dialogs: import, export, about."""
