"""Raw grids → typed tables: header and unit detection, cell cleaning (numbers, years, flags), credit codes."""
