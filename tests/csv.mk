# tests of csv
