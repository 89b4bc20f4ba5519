/* sg_loader.c: to be written */
