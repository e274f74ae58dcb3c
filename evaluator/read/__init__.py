"""Files → raw grids: xlsx/xls/csv readers and the user's column mapping."""
