#!/usr/bin/env python3
"""Prints what an independent reader sees in a workbook, as one JSON object.

Usage: inspect_xlsx.py FILE.xlsx [NEEDLE]

tests/check_xlsx.c runs this on the workbooks the xlsx sink writes and
asserts on the facts.  openpyxl reads the cells, formats, panes, filters
and conditional formats; it does not load charts, so those are read from
the zip directly (xl/charts/chart*.xml and the relationships that place
them on a sheet).  With NEEDLE, "needle_found" says whether that text
appears in any member of the zip once decompressed (a staging path that
must not leak into the file).

Exit status: 0 with the JSON on stdout; 3 when openpyxl is missing; 1 when
the file cannot be read.
"""
import datetime
import json
import posixpath
import re
import sys
import zipfile

try:
    import openpyxl
except ImportError:
    sys.stderr.write("inspect_xlsx.py: python3-openpyxl is not installed\n")
    sys.exit(3)

NS_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
NS_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
NS_R = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def cell_fact(cell):
    v = cell.value
    if isinstance(v, (datetime.datetime, datetime.date)):
        shown = v.isoformat()
    else:
        shown = v
    return {
        "t": cell.data_type,
        "py": type(v).__name__,
        "v": shown,
        "fmt": cell.number_format,
        "bold": bool(cell.font.b),
        "wrap": bool(cell.alignment.wrap_text),
    }


def sheet_facts(ws):
    cells = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                cells[cell.coordinate] = cell_fact(cell)
    cf = []
    for rng, rules in ws.conditional_formatting._cf_rules.items():
        for rule in rules:
            cf.append({"range": str(rng.sqref), "type": rule.type,
                       "operator": rule.operator,
                       "formula": list(rule.formula or [])})
    widths = {}
    for key, dim in ws.column_dimensions.items():
        if dim.width:
            widths[key] = dim.width
    return {
        "freeze": ws.freeze_panes,
        "autofilter": ws.auto_filter.ref,
        "max_row": ws.max_row,
        "max_col": ws.max_column,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "cf": cf,
        "widths": widths,
        "cells": cells,
    }


def rels(z, part):
    """The relationships of a part: {rId: target path}."""
    d, base = posixpath.split(part)
    name = posixpath.join(d, "_rels", base + ".rels")
    if name not in z.namelist():
        return {}
    import xml.etree.ElementTree as ET
    root = ET.fromstring(z.read(name))
    out = {}
    for r in root.iter(NS_R + "Relationship"):
        out[r.get("Id")] = posixpath.normpath(
            posixpath.join(d, r.get("Target")))
    return out


def chart_facts(z, names):
    import xml.etree.ElementTree as ET
    # Which sheet each chart is on: workbook -> sheet -> drawing -> chart.
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = ("{http://schemas.openxmlformats.org/officeDocument/2006/"
              "relationships}")
    wb_rels = rels(z, "xl/workbook.xml")
    placed = {}
    for s in wb.iter(ns_main + "sheet"):
        sheet_part = wb_rels[s.get(ns_rel + "id")]
        for drawing in rels(z, sheet_part).values():
            if "drawings/" not in drawing:
                continue
            for chart in rels(z, drawing).values():
                placed[chart] = s.get("name")
    charts = []
    for name in sorted(n for n in names
                       if re.match(r"xl/charts/chart\d+\.xml$", n)):
        root = ET.fromstring(z.read(name))
        plot = root.find(NS_C + "chart/" + NS_C + "plotArea")
        kinds = [el.tag.replace(NS_C, "") for el in plot
                 if el.tag.endswith("Chart")]
        bar_dir = plot.find(".//" + NS_C + "barDir")
        series = []
        for ser in plot.iter(NS_C + "ser"):
            def ref(path):
                f = ser.find(path)
                return f.text if f is not None else None
            series.append({
                "tx": ref(NS_C + "tx/" + NS_C + "strRef/" + NS_C + "f"),
                "cat": ref(NS_C + "cat//" + NS_C + "f"),
                "val": ref(NS_C + "val//" + NS_C + "f"),
            })
        title = root.find(NS_C + "chart/" + NS_C + "title")
        title_text = None
        if title is not None:
            title_text = "".join(t.text or "" for t in
                                 title.iter(NS_A + "t"))
        axis_titles = []
        for ax in list(plot.iter(NS_C + "catAx")) + \
                list(plot.iter(NS_C + "valAx")) + \
                list(plot.iter(NS_C + "dateAx")):
            t = ax.find(NS_C + "title")
            if t is not None:
                axis_titles.append("".join(x.text or "" for x in
                                           t.iter(NS_A + "t")))
        charts.append({
            "file": name,
            "sheet": placed.get(name),
            "kinds": kinds,
            "bar_dir": bar_dir.get("val") if bar_dir is not None else None,
            "series": series,
            "title": title_text,
            "axis_titles": axis_titles,
        })
    return charts


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: inspect_xlsx.py FILE.xlsx [NEEDLE]\n")
        return 2
    path = sys.argv[1]
    try:
        wb = openpyxl.load_workbook(path)
        z = zipfile.ZipFile(path)
    except Exception as e:  # noqa: BLE001 - any reader failure is the answer
        sys.stderr.write("inspect_xlsx.py: %s: %s\n" % (path, e))
        return 1
    names = z.namelist()
    formulas = 0
    needle_found = False
    needle = sys.argv[2].encode() if len(sys.argv) == 3 else None
    for n in names:
        data = z.read(n)
        if n.startswith("xl/worksheets/sheet"):
            formulas += len(re.findall(rb"<f[ >]", data))
        if needle is not None and needle in data:
            needle_found = True
    facts = {
        "sheets": wb.sheetnames,
        "sheet": {ws.title: sheet_facts(ws) for ws in wb.worksheets},
        "charts": chart_facts(z, names),
        "formulas": formulas,
        "needle_found": needle_found,
        "zip_dates": sorted({"%04d-%02d-%02d" % i.date_time[:3]
                             for i in z.infolist()}),
        "created": wb.properties.created.isoformat()
        if wb.properties.created else None,
        "title": wb.properties.title,
    }
    json.dump(facts, sys.stdout, indent=1, sort_keys=True, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
