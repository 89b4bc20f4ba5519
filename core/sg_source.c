/* sg_source.c: to be written */
