/* sg_options.c: to be written */
