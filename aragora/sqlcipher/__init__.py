"""SQLCipher for the embedded database (ENC-1): a Django backend (``ENGINE: aragora.sqlcipher``)
that is Django's SQLite backend on the sqlcipher3 binding, keyed before its first statement."""
