from .app.start import entry

entry()
