# CLI integration tests: one script per command (tests/cli/*.sh).
TESTS += tests/cli/check.sh tests/cli/run.sh tests/cli/concurrent.sh tests/cli/plugins.sh \
	tests/cli/init.sh tests/cli/pull.sh tests/cli/demo.sh \
	tests/cli/badinput.sh tests/cli/realdata.sh tests/cli/golden.sh \
	tests/cli/offline.sh tests/cli/state.sh
