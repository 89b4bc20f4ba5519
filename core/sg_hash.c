/* sg_hash.c: to be written */
