"""Pure format builders: one labelled example in, the records of one trainer's format out.

Nothing here reads the store or writes files; the engine (``labeler.exporters.engine``)
feeds these builders and writes what they return.
"""
