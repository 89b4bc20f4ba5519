/* sg_config.c: to be written */
