/* cmd_pull.c: to be written */
