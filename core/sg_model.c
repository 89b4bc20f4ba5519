/* sg_model.c: to be written */
