"""Which files of PySide6 the bundle leaves out (used by `build_app.spec`, tested without a build).

The app uses QtCore, QtGui and QtWidgets; PySide6 ships ~50 Qt modules. PyInstaller's `excludes`
only stops Python imports — its Qt hooks still copy the native libraries and plugins — so the spec
filters them by file name (`slim`), and also where the hooks collect plugins
(`skip_unused_plugins_before_dependency_analysis`), so a dropped plugin's own dependencies are
never pulled in. Names follow both layouts: Linux `PySide6/Qt/lib/libQt6Quick.so.6`,
`PySide6/Qt/plugins/...`; Windows `PySide6/Qt6Quick.dll`, `PySide6/plugins/...`.
"""

import os
import re

# Qt modules the app does not use: dropped both as Python modules and as native libraries.
# DBus stays (on Linux libQt6Gui links against it). PrintSupport stays too: the letter preview
# prints (QPrintDialog), drawing the pages PDFium renders (`ui/widgets/letter_preview.py`).
QT_UNUSED = {
    "3DAnimation", "3DCore", "3DExtras", "3DInput", "3DLogic", "3DRender", "3DQuick", "3DQuickScene2D",
    "AxContainer", "Bluetooth", "Charts", "ChartsQml", "Concurrent", "DataVisualization", "Designer",
    "DesignerComponents", "Graphs", "GraphsWidgets", "Help", "HttpServer", "LabsStyleKit", "Location",
    "Multimedia", "MultimediaQuick", "MultimediaWidgets", "Network", "NetworkAuth", "Nfc", "OpenGL",
    "OpenGLWidgets", "Pdf", "PdfQuick", "PdfWidgets", "Positioning", "Qml", "QmlCompiler",
    "QmlCore", "QmlFeatures", "QmlMeta", "QmlModels", "QmlWorkerScript", "Quick", "Quick3D", "QuickControls2",
    "QuickControls2Impl", "QuickDialogs2", "QuickDialogs2QuickImpl", "QuickDialogs2Utils", "QuickLayouts",
    "QuickParticles", "QuickShapes", "QuickTemplates2", "QuickTest", "QuickWidgets", "RemoteObjects", "Scxml",
    "Sensors", "SerialBus", "SerialPort", "ShaderTools", "SpatialAudio", "Sql", "StateMachine", "Svg",
    "SvgWidgets", "Test", "TextToSpeech", "UiTools", "VirtualKeyboard", "WebChannel", "WebEngineCore",
    "WebEngineQuick", "WebEngineWidgets", "WebSockets", "WebView", "Xml",
    # Linux only: Wayland and EGLFS (embedded displays). X11 (xcb) covers a developer's desktop;
    # the Windows build has none of these.
    "WaylandClient", "WaylandEglClientHwIntegration", "WlShellIntegration", "EglFSDeviceIntegration",
    "EglFsKmsSupport", "EglFsKmsGbmSupport",
}
# Plugin folders that only serve the modules above, or hardware we never touch.
QT_PLUGIN_DIRS_UNUSED = {
    "qmltooling", "qmllint", "sqldrivers", "tls", "networkinformation", "multimedia", "position",
    "webview", "designer", "scenegraph", "sceneparsers", "geometryloaders", "renderers", "renderplugins",
    "canbus", "sensors", "texttospeech", "virtualkeyboard", "generic", "assetimporters",
    "egldeviceintegrations", "wayland-decoration-client", "wayland-graphics-integration-client",
    "wayland-shell-integration", "wayland-inputdevice-integration",
}
# Single plugins: PDF/SVG image formats, VNC/framebuffer/EGL/Wayland platforms, the GTK theme (pulls GTK, cairo, pango);
# and Windows' software OpenGL (20 MB), which only Qt Quick/OpenGL widgets fall back to.
QT_PLUGINS_UNUSED = re.compile(
    r"(^|/)(lib)?q(pdf|svg|svgicon|vnc|linuxfb|eglfs|minimalegl|vkkhrdisplay|wayland|gtk3)[\w-]*\.(so|dll|dylib)$")
QT_TOOLS = re.compile(r"(^|/)(assistant|designer|linguist|lrelease|lupdate|qml\w*|svgtoqml|uic|rcc)(\.exe)?$")

PY_EXCLUDES = [
    "tkinter", "_tkinter", "matplotlib", "IPython", "jedi", "notebook", "scipy", "pyarrow", "sklearn",
    "pytest", "_pytest", "pytestqt", "hypothesis", "tests", "numpy.tests", "pandas.tests", "setuptools",
    "pip", "lib2to3", "pydoc_data", "xlwt", "pypdf",
    # optional back-ends pandas/numpy import when present: cloud storage, YAML, HTML styling, XML, f2py
    "botocore", "boto3", "s3fs", "fsspec", "yaml", "jinja2", "lxml", "numpy.f2py", "numpy.distutils",
    "PySide6.QtDBus",  # the binding only; the native library stays (see above)
] + [f"PySide6.Qt{m}" for m in sorted(QT_UNUSED)]

_QT_NAME = re.compile(r"^(?:lib)?Qt6?(\w+?)(?:\.abi3)?\.(?:so|dll|pyd|dylib)")


def is_unused(dest: str) -> bool:
    """True for a bundle path (`dest` in a TOC) the app never loads."""
    d = dest.replace("\\", "/")
    base = d.rsplit("/", 1)[-1]
    m = _QT_NAME.match(base)
    if (m and m.group(1) in QT_UNUSED) or "pyside6qml" in base:
        return True
    if "PySide6/" in d or "shiboken6/" in d:
        if "/plugins/" in d and d.split("/plugins/", 1)[1].split("/", 1)[0] in QT_PLUGIN_DIRS_UNUSED:
            return True
        if QT_PLUGINS_UNUSED.search(d) or QT_TOOLS.search(d) or "/qml/" in d or base.lower() == "opengl32sw.dll":
            return True
        if "/translations/" in d and not re.search(r"qt(base)?_zh_CN\.qm$", d):
            return True  # keep the Chinese translations of Qt's own dialogs, nothing else
    return False


def slim(toc: list[tuple]) -> list[tuple]:
    """A PyInstaller TOC (`a.binaries`, `a.datas`) without the unused Qt files."""
    return [entry for entry in toc if not is_unused(entry[0])]


def skip_unused_plugins_before_dependency_analysis() -> None:
    """Filtering `a.binaries` afterwards drops a plugin but not the system libraries it pulled in
    (the GTK theme alone drags in GTK, cairo and pango), so also filter where the Qt hooks collect
    plugins. Best effort: if PyInstaller's internals change, the filter on `a.binaries` still applies."""
    try:
        from PyInstaller.utils.hooks import qt as qt_hooks

        original = qt_hooks.QtLibraryInfo.collect_plugins
    except (ImportError, AttributeError):
        return

    def collect_plugins(self, plugin_type):
        return [(src, dst) for src, dst in original(self, plugin_type)
                if not is_unused(f"{dst}/{os.path.basename(src)}")]

    qt_hooks.QtLibraryInfo.collect_plugins = collect_plugins
