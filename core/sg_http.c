/* sg_http.c: to be written */
