"""Monthly status panels: column roles, reading and validation."""

from evalkit.panel.files import read_data_file
from evalkit.panel.load import PanelReport, StatusPanel, read_panel
from evalkit.panel.months import month_label, parse_month
from evalkit.panel.scan import scan_panel
from evalkit.panel.roles import (
    EDUCATION_LEVELS,
    NAV_CATEGORIES,
    ColumnRoles,
)

__all__ = [
    "EDUCATION_LEVELS",
    "NAV_CATEGORIES",
    "ColumnRoles",
    "PanelReport",
    "StatusPanel",
    "month_label",
    "parse_month",
    "read_data_file",
    "read_panel",
    "scan_panel",
]
