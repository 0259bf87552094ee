"""Compliance features built from the index: the obligations register (more modules move here later)."""
