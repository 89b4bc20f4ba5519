/* cli_common.c: to be written */
