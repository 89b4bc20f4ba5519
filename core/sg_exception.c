/* sg_exception.c: to be written */
