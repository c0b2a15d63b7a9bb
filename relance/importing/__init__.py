"""The import format (YAML/JSON) and the all-or-nothing importer."""
