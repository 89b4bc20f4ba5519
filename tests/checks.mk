# tests of checks
