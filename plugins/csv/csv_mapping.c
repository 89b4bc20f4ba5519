/* csv_mapping.c: to be written */
