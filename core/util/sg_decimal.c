/* sg_decimal.c: to be written */
