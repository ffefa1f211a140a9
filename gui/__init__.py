"""Strides & Gates desktop GUI (PySide6 + pyqtgraph). Views only: the numbers come from engine/.

One rule for every widget here: **graphics made while the app runs are reused, never
destroyed.** Dropping the last reference to a Qt object that has children (a pyqtgraph view box,
its context menu, a text item, a grid cell) segfaulted now and then in PySide6 6.11: gdb showed
Shiboken's releaseWrapper freeing the children. So plots are made with `enableMenu=False` (a
menu switched off afterwards is destroyed at once), and a widget whose count of maps, curves or
labels changes keeps the ones it made, hidden or emptied, for the next time
(tests/test_no_menus.py, the reuse tests, the monkey's soaks).
"""
