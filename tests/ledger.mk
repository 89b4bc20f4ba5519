# tests of ledger
