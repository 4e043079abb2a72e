"""Ledger: the Project Knowledge Ledger of atoms, evidence, merges and contradictions (schema ``ledger``)."""
