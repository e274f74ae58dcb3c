"""One evaluation as state and as a file: the project model, the .mujun file, audit export, recent list."""
