/* sg_missing.c: to be written */
