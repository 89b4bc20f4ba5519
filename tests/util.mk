# tests of util
