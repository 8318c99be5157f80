"""The knowledge pack: YAML files on disk and entries in the database."""
