/* cmd_plugins.c: to be written */
