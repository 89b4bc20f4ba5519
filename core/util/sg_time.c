/* sg_time.c: to be written */
