/* noentry.c - a test-only module that exports no entry point. */
int noentry_marker(void);

int noentry_marker(void)
{
	return 42;
}
