/* sg_csv.c: to be written */
