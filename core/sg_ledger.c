/* sg_ledger.c: to be written */
