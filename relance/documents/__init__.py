"""Documents attached to emails: their type sniffed from the bytes and their size bounded when they
arrive (kinds), the bytes kept in object storage (storage), the rows that say what they are (library)."""
