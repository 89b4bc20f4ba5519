/* sg_checks.c: to be written */
